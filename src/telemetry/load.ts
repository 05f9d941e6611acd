// One CommonJS `require` for every OpenTelemetry package. The instrumentations are CommonJS
// and load the CJS builds of @opentelemetry/api, core and friends; importing the ESM builds
// here too would load every shared package twice (measurable startup time) and split
// module-level state between two copies.

import { createRequire } from 'node:module';

export const load: NodeJS.Require = createRequire(import.meta.url);
