// The preload: `node --import @wizamart/observability/register app.js`.
// Reads the environment, starts the framework, and drains and flushes on SIGTERM/SIGINT.
// Everything else lives in src/.
//
// NODE_OPTIONS="--import …/register" reaches every Node process below it: `npm start` runs
// the preload in npm itself before the app. A launcher (src/processes/role.ts) starts
// nothing and loads nothing more than the role check: the app it launches does the rest.
// Worker threads get no signal handlers: signals are delivered to the main thread.

import { adoptPm2Environment } from './src/processes/pm2.ts';
import { detectRole } from './src/processes/role.ts';

const role = detectRole();
if (role.kind !== 'launcher') {
  // A PM2 cluster instance: read the app's environment, not the daemon's (src/processes/pm2.ts).
  if (role.kind === 'worker') adoptPm2Environment();
  const { drainAndShutdown, initObservability } = await import('./src/observability.ts');
  const { installSignalHandlers } = await import('./src/signals.ts');
  void initObservability();
  if (role.kind !== 'thread') installSignalHandlers(drainAndShutdown);
}
