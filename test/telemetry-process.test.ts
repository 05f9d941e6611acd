// Process-level behaviour of the preload: exit is never held by the exporter, nothing is
// loaded or started when no one consumes spans, and instrumentations load only with their
// libraries. Only 127.0.0.1 is contacted (an unreachable collector is a closed local port).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startOtlpReceiver } from './helpers/otlp-receiver.ts';
import { TYPESCRIPT_FLAGS } from './helpers/process.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const preload = fileURLToPath(new URL('./helpers/telemetry-preload.ts', import.meta.url));

interface Result { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/** Runs node under the test preload (telemetry alone), or with `preload: false` under what `args` name. */
function run(args: string[], env: Record<string, string>, options: { sigtermAfter?: RegExp; preload?: false } = {}): Promise<Result> {
  const started = performance.now();
  const preloadArgs = options.preload === false ? [] : [...TYPESCRIPT_FLAGS, '--import', preload];
  const child = spawn(process.execPath, [...preloadArgs, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
    if (options.sigtermAfter?.test(stdout)) {
      options.sigtermAfter = undefined;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - started })));
}

/** A 127.0.0.1 port with nothing listening: a collector that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Makes one traced request to itself, then ends on its own (or prints `ready` and waits). */
const SCRIPT = `
const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', async () => {
  await (await fetch('http://127.0.0.1:' + server.address().port + '/')).text();
  server.close();
  console.log('ready');
  if (process.env.WAIT === '1') setInterval(() => {}, 1000);
});`;

test('node -e 0 exits quickly with the collector down', async () => {
  const result = await run(['-e', '0'], { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}` });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.ms < 3_000, `took ${Math.round(result.ms)} ms`);
});

test('a script that recorded spans ends on its own without waiting for a down collector', async () => {
  const result = await run(['-e', SCRIPT], { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}` });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /ready/);
  // The exporter would retry the refused connection for the whole 10 s export timeout; the
  // exit flush gives up after EXIT_FLUSH_MS (2 s) and says so. A hang bound, not a timing.
  assert.ok(result.ms < 7_000, `took ${Math.round(result.ms)} ms`);
  assert.match(result.stderr, /OBS_TRACE_FLUSH: trace flush did not finish within 2000 ms; giving up/);
});

test('a script that ends on its own delivers its spans: the last batch is flushed when the loop empties', async () => {
  const receiver = await startOtlpReceiver();
  try {
    // The real preload, a schedule far longer than the script: only the flush at exit can deliver.
    const result = await run(['--import', './register.js', '-e', SCRIPT], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '60000',
    }, { preload: false });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ready/);
    const kinds = receiver.spans.filter((span) => span.name === 'GET').map((span) => span.kind).sort();
    assert.deepEqual(kinds, [2, 3], `server and client span of the one request; got ${JSON.stringify(receiver.spans.map((s) => [s.name, s.kind]))}`);
    assert.equal(receiver.requests, 1, 'one flush, not one per beforeExit');
  } finally {
    await receiver.close();
  }
});

test('SIGTERM with spans pending and the collector down exits within the export timeout, with one warning', async () => {
  const port = await closedPort();
  const result = await run(['-e', SCRIPT], {
    WAIT: '1',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
  }, { sigtermAfter: /ready/ });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.ms < 5_000, `took ${Math.round(result.ms)} ms`);
  const warnings = result.stderr.split('\n').filter((line) => line.startsWith('[telemetry]'));
  assert.equal(warnings.length, 1, result.stderr);
  assert.match(warnings[0]!, new RegExp(`exporting spans to http://127.0.0.1:${port}/v1/traces failed`));
});

test('an export timeout below the exporter\'s own still ends in one warning that says so', async () => {
  const result = await run(['-e', SCRIPT], {
    WAIT: '1',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
    OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
    OTEL_BSP_EXPORT_TIMEOUT: '300',
  }, { sigtermAfter: /ready/ });
  assert.equal(result.code, 0, result.stderr);
  const warnings = result.stderr.split('\n').filter((line) => line.startsWith('[telemetry]'));
  assert.deepEqual(warnings, ['[telemetry] OBS_TRACE_FLUSH: span export did not answer within OTEL_BSP_EXPORT_TIMEOUT=300 ms; those spans are dropped'], result.stderr);
});

const LOADED = `console.log(JSON.stringify({
  http: Object.keys(require.cache).some((k) => k.includes('instrumentation-http')),
  express: Object.keys(require.cache).some((k) => k.includes('instrumentation-express')),
  pg: Object.keys(require.cache).some((k) => k.includes('instrumentation-pg')),
  sdk: Object.keys(require.cache).some((k) => k.includes('sdk-trace')),
}))`;

test('nothing configured: no SDK, no instrumentation, no exporter loaded', async () => {
  const result = await run(['-e', LOADED], {});
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), { http: false, express: false, pg: false, sdk: false });
});

test('OTEL_SDK_DISABLED=true starts nothing even with an endpoint', async () => {
  const result = await run(['-e', LOADED], { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
  assert.deepEqual(JSON.parse(result.stdout), { http: false, express: false, pg: false, sdk: false });
});

test('OTEL_TRACES_EXPORTER=none wins over an endpoint', async () => {
  const result = await run(['-e', LOADED], { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
  assert.deepEqual(JSON.parse(result.stdout), { http: false, express: false, pg: false, sdk: false });
});

// Lazy activation needs import-in-the-middle's in-thread hooks (Node >= 22.22.3 / 24.11.1);
// on an older Node 22 every selected instrumentation is started at once, by design.
const { supportsSyncHooks } = await import('import-in-the-middle/register-hooks.mjs') as { supportsSyncHooks(): boolean };
const LAZY = supportsSyncHooks();

test('instrumentWithoutExport: instrumentations but no tracer provider when nothing is exported', async () => {
  const result = await run(['-e', `require('express'); ${LOADED}`], { TEST_INSTRUMENT_WITHOUT_EXPORT: '1' });
  assert.deepEqual(JSON.parse(result.stdout), { http: true, express: true, pg: !LAZY, sdk: false });
});

test(`instrumentations load with their library, not before (${LAZY ? 'lazy' : 'eager on this Node'})`, async () => {
  const receiver = await startOtlpReceiver();
  try {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    const before = await run(['-e', LOADED], env);
    assert.deepEqual(JSON.parse(before.stdout), { http: true, express: !LAZY, pg: !LAZY, sdk: true });
    const after = await run(['-e', `require('express'); ${LOADED}`], env);
    assert.deepEqual(JSON.parse(after.stdout), { http: true, express: true, pg: !LAZY, sdk: true });
  } finally {
    await receiver.close();
  }
});

test('bad OTEL_* values give one warning each and the app runs', async () => {
  const result = await run(['-e', 'console.log("app ran")'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,expresss,nope',
    OTEL_BSP_SCHEDULE_DELAY: 'soon',
  });
  assert.equal(result.code, 0);
  assert.match(result.stdout, /app ran/);
  const warnings = result.stderr.split('\n').filter((line) => line.startsWith('[telemetry]'));
  assert.equal(warnings.length, 2, result.stderr);
  assert.match(result.stderr, /unknown instrumentation name\(s\) ignored: expresss, nope in OTEL_NODE_ENABLED_INSTRUMENTATIONS; known: http, undici, express/);
  assert.match(result.stderr, /OTEL_BSP_SCHEDULE_DELAY="soon" is not a positive number; using 5000/);
});
