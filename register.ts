// The preload: `node --import @wizamart/observability/register app.js`.
// Reads the environment, starts the framework, and drains and flushes on SIGTERM/SIGINT.
// Everything else lives in src/.

import { drainAndShutdown, initObservability } from './src/observability.ts';
import { installSignalHandlers } from './src/signals.ts';

void initObservability();
installSignalHandlers(drainAndShutdown);
