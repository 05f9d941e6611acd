// Test preload: `node --import <this file> app.mjs` starts telemetry the way the real
// register.js will (until the lead's register.ts exists), flushes on SIGTERM and exits.
// With TEST_OWN_SERVER=1 it also starts a stand-in for the SDK's own server on 127.0.0.1,
// whose requests isOwnRequest recognises, and prints `own server port N`.
// TEST_INSTRUMENT_WITHOUT_EXPORT=1 sets the option of that name.

import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTelemetry } from '../../src/telemetry.ts';

let ownPort = -1;

const telemetry = startTelemetry({
  serviceName: undefined,
  environment: process.env.ENVIRONMENT ?? 'test',
  release: process.env.RELEASE,
  env: process.env,
  warn: (message) => process.stderr.write(`[telemetry] ${message}\n`),
  isOwnRequest: (req: IncomingMessage) => req.socket.localPort === ownPort,
  instrumentWithoutExport: process.env.TEST_INSTRUMENT_WITHOUT_EXPORT === '1',
});

if (process.env.TEST_OWN_SERVER === '1') {
  const own = createServer((_req, res) => res.end('{"status":"alive"}'));
  own.listen(0, '127.0.0.1', () => {
    ownPort = (own.address() as AddressInfo).port;
    process.stdout.write(`own server port ${ownPort}\n`);
  });
  own.unref();
}

process.once('SIGTERM', () => {
  void telemetry.shutdown().finally(() => process.exit(0));
});
