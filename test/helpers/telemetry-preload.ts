// Test preload: `node --import <this file> app.mjs` starts telemetry alone, as
// initObservability() does but without health or metrics, flushes on SIGTERM and exits.
// With TEST_OWN_SERVER=1 it also starts a stand-in for the SDK's own server on 127.0.0.1,
// which the incoming-request view treats as the SDK's own, and prints `own server port N`.
// TEST_INSTRUMENT_WITHOUT_EXPORT=1 sets the option of that name.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIncomingHttp } from '../../src/http/incoming.ts';
import { resolveResource } from '../../src/resource.ts';
import { startTelemetry } from '../../src/telemetry/index.ts';
import type { Warn } from '../../src/warnings.ts';

const warn: Warn = (code, message) => process.stderr.write(`[telemetry] ${code}: ${message}\n`);
const telemetry = startTelemetry({
  resource: () => resolveResource({
    serviceName: undefined, environment: process.env.ENVIRONMENT ?? 'test', release: process.env.RELEASE, env: process.env, warn,
  }),
  env: process.env,
  warn,
  instrumentWithoutExport: process.env.TEST_INSTRUMENT_WITHOUT_EXPORT === '1',
});
const incoming = createIncomingHttp();
if (telemetry.serverSpans) incoming.add(telemetry.serverSpans);

if (process.env.TEST_OWN_SERVER === '1') {
  const own = createServer((_req, res) => res.end('{"status":"alive"}'));
  incoming.setOwnServer(own);
  own.listen(0, '127.0.0.1', () => {
    process.stdout.write(`own server port ${(own.address() as AddressInfo).port}\n`);
  });
  own.unref();
}

process.once('SIGTERM', () => {
  void telemetry.shutdown().finally(() => process.exit(0));
});
