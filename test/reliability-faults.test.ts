// Faults at the receivers: the OTLP collector and Sentry down (a closed port), refusing
// (503 to everything, or connections reset), or slow (every request held 5 s). In real
// processes under the built preload, against 127.0.0.1 only. Whatever the receivers do,
// the app keeps answering, SIGTERM ends the process within the grace period, and each
// cause is one warning on stderr, not one per batch. Also: shutdownObservability() called
// twice at once, and called while initObservability() is still starting, both settle and
// leave nothing that holds the process open.

import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { REGISTER, startNode, type Child } from './helpers/process.ts';
import { request } from './helpers/http.ts';

const PREFIX = '[@wizamart/observability]';
const GRACE_MS = 2_000;
const OTLP_TIMEOUT_MS = 1_000;
// Each Sentry request ends by then (src/sentry/facade.ts): the envelope to a black hole outlives shutdown that long.
const SENTRY_SEND_DEADLINE_MS = 5_000;
// Generous: the grace period plus room for a slow CI machine to start a signal handler and exit.
const EXIT_BOUND_MS = GRACE_MS + 4_000;

interface FaultyReceiver {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Requests (or connections, for the resetting one) that reached it. */
  hits(): number;
  close(): Promise<void>;
}

function listening<T extends HttpServer | NetServer>(server: T): Promise<T> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function urlOf(server: HttpServer | NetServer): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Down: a port that was just free, with nothing listening. */
async function down(): Promise<FaultyReceiver> {
  const server = await listening(createNetServer());
  const url = urlOf(server);
  await new Promise((resolve) => server.close(resolve));
  return { url, hits: () => 0, close: async () => {} };
}

/** Refusing: reads each request and answers 503 (OTLP calls that retryable; Sentry backs off). */
async function refusing503(): Promise<FaultyReceiver> {
  let hits = 0;
  const server = await listening(createHttpServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => res.writeHead(503, { 'Retry-After': '1' }).end('unavailable'));
  }));
  return {
    url: urlOf(server),
    hits: () => hits,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Refusing harder: accepts the connection, then resets it (RST) as soon as bytes arrive. */
async function resetting(): Promise<FaultyReceiver> {
  let hits = 0;
  const sockets = new Set<Socket>();
  const server = await listening(createNetServer((socket) => {
    hits++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => socket.resetAndDestroy());
  }));
  return {
    url: urlOf(server),
    hits: () => hits,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Slow: holds every request 5 s before answering 200, longer than any export timeout here. */
async function slow(): Promise<FaultyReceiver> {
  let hits = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server = await listening(createHttpServer((req, res) => {
    hits++;
    req.resume();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    }, 5_000);
    timers.add(timer);
  }));
  return {
    url: urlOf(server),
    hits: () => hits,
    close: () => new Promise((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A black hole: accepts the connection and the request, never answers. */
async function blackHole(): Promise<FaultyReceiver> {
  let hits = 0;
  const server = await listening(createHttpServer((req) => {
    hits++;
    req.resume();
  }));
  return {
    url: urlOf(server),
    hits: () => hits,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const FAULTS: Record<string, () => Promise<FaultyReceiver>> = {
  'down (closed port)': down,
  'refusing (503)': refusing503,
  'refusing (connection reset)': resetting,
  'slow (holds requests 5 s)': slow,
};

function dsnFor(url: string): string {
  return `${url.replace('http://', 'http://faultkey@')}/7`;
}

/** The SDK's own stderr lines, without the prefix and the warning code. */
function sdkLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith(PREFIX))
    .map((line) => line.slice(PREFIX.length + 1).replace(/^OBS_[A-Z_]+: /, ''));
}

function count(lines: string[], pattern: RegExp): number {
  return lines.filter((line) => pattern.test(line)).length;
}

async function until(condition: () => boolean, what: string, child: Child, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstderr: ${child.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

interface Outcome {
  statuses: number[];
  eventIds: unknown[];
  slowestMs: number;
  liveStatuses: number[];
  exit: { code: number | null; signal: NodeJS.Signals | null };
  exitMs: number;
  lines: string[];
  stderr: string;
}

/** Runs the orders app with both the collector and Sentry pointed at `receiver`, drives it, then SIGTERMs it. */
async function driveApp(receiver: FaultyReceiver): Promise<Outcome> {
  const child = startNode(['--import', REGISTER, 'test/fixtures/orders-app.mjs'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_TIMEOUT: String(OTLP_TIMEOUT_MS),
    OTEL_BSP_SCHEDULE_DELAY: '100',
    SENTRY_DSN: dsnFor(receiver.url),
    OBSERVABILITY_PORT: '0',
    OBSERVABILITY_HOST: '127.0.0.1',
    OBSERVABILITY_DRAIN_DELAY_MS: '0',
    OBSERVABILITY_SHUTDOWN_GRACE_MS: String(GRACE_MS),
  });
  try {
    const [, appPort] = await child.waitFor(/orders listening on port (\d+)/);
    await until(() => /serving \/health/.test(child.stderr()), 'the observability server', child);
    const obsPort = child.stderr().match(/serving \/health[^\n]* on http:\/\/127\.0\.0\.1:(\d+)/)![1];

    const statuses: number[] = [];
    const eventIds: unknown[] = [];
    const liveStatuses: number[] = [];
    let slowestMs = 0;
    let next = 0;
    const burst = async (n: number) => {
      // Four at a time, each order id distinct.
      await Promise.all([0, 1, 2, 3].map(async () => {
        for (let i = 0; i < n / 4; i++) {
          const id = `fault-${next++}`;
          const started = performance.now();
          const reply = await request(`http://127.0.0.1:${appPort}/api/orders/${id}`, {}, 10_000);
          slowestMs = Math.max(slowestMs, performance.now() - started);
          statuses.push(reply.status);
          eventIds.push((reply.json() as { eventId?: unknown }).eventId);
        }
      }));
      liveStatuses.push((await request(`http://127.0.0.1:${obsPort}/health/live`)).status);
    };

    await burst(40);
    // Both exporters (the collector's and Sentry's OTLP endpoint) have failed at least once…
    const collector = new RegExp(`exporting spans to ${escape(receiver.url)}/v1/traces failed`);
    const sentryOtlp = new RegExp(`exporting spans to ${escape(receiver.url)}/api/7/integration/otlp/v1/traces/? failed`);
    await until(() => collector.test(child.stderr()) && sentryOtlp.test(child.stderr()), 'both export warnings', child);
    // …and more batches fail after that: they must not add warnings.
    await burst(40);
    await new Promise((resolve) => setTimeout(resolve, 2 * OTLP_TIMEOUT_MS));
    await burst(20);

    const signalled = performance.now();
    child.process.kill('SIGTERM');
    const exit = await child.exited(30_000);
    const exitMs = performance.now() - signalled;
    return { statuses, eventIds, slowestMs, liveStatuses, exit, exitMs, lines: sdkLines(child.stderr()), stderr: child.stderr() };
  } finally {
    child.kill();
  }
}

describe('faults at the receivers: the app runs on, exits within the grace period, warns once per cause', () => {
  for (const [name, make] of Object.entries(FAULTS)) {
    describe(`collector and Sentry ${name}`, () => {
      let receiver: FaultyReceiver | undefined;
      let outcome: Promise<Outcome> | undefined;
      // One app run per fault, shared by the assertions below.
      const run = () => outcome ??= make().then((made) => {
        receiver = made;
        return driveApp(made);
      });
      after(() => receiver?.close());

      it('every request is answered, none waits on the receivers', async () => {
        const { statuses, eventIds, slowestMs, liveStatuses } = await run();
        assert.equal(statuses.length, 100);
        // The fixture answers 500 with the captured event's id: that is a successful request.
        assert.deepEqual(new Set(statuses), new Set([500]));
        for (const id of eventIds) assert.match(String(id), /^[0-9a-f]{32}$/);
        assert.equal(new Set(eventIds).size, eventIds.length);
        assert.deepEqual(new Set(liveStatuses), new Set([200]));
        // A receiver that holds requests 5 s would show here if an export blocked a request.
        assert.ok(slowestMs < 3_000, `slowest request took ${Math.round(slowestMs)} ms`);
      });

      it(`SIGTERM ends the process within the grace period (${GRACE_MS} ms, bound ${EXIT_BOUND_MS} ms)`, async () => {
        const { exit, exitMs, stderr } = await run();
        // The preload re-raises the signal once flushed: the process ends as it would without the SDK.
        assert.deepEqual(exit, { code: null, signal: 'SIGTERM' }, stderr);
        assert.ok(exitMs < EXIT_BOUND_MS, `exit took ${Math.round(exitMs)} ms`);
      });

      it('each cause is one warning: no line repeats, one per failing exporter', async () => {
        const { lines, stderr } = await run();
        const url = escape(receiver!.url);
        const repeated = lines.filter((line, i) => lines.indexOf(line) !== i);
        assert.deepEqual(repeated, [], stderr);
        assert.equal(count(lines, new RegExp(`^exporting spans to ${url}/v1/traces failed`)), 1, stderr);
        assert.equal(count(lines, new RegExp(`^exporting spans to ${url}/api/7/integration/otlp/`)), 1, stderr);
        assert.equal(count(lines, /^exporting spans to /), 2, stderr);
        assert.ok(count(lines, /did not finish within/) <= 1, stderr);
        // Nothing else: no stack traces, no unhandled rejections, no library noise.
        const other = stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith(PREFIX));
        assert.deepEqual(other, []);
      });

      it('Sentry event delivery failing is reported too, once', async () => {
        const { lines, stderr } = await run();
        assert.equal(count(lines, /sentry/i), 1, stderr);
      });
    });
  }
});

interface ScriptResult { code: number | null; signal: NodeJS.Signals | null; ms: number; stdout: string; stderr: string }

/** A module script that uses the API directly (no preload), with both receivers at `url`. */
async function script(code: string, url: string, timeoutMs = 20_000): Promise<ScriptResult> {
  const started = performance.now();
  const child = startNode(['--input-type=module', '-e', `
    import { initObservability, shutdownObservability, sentry } from '@wizamart/observability';
    import { trace } from '@opentelemetry/api';
    ${code}
  `], {
    OTEL_EXPORTER_OTLP_ENDPOINT: url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_TIMEOUT: String(OTLP_TIMEOUT_MS),
    SENTRY_DSN: dsnFor(url),
    ENABLE_METRICS: 'true',
    OBSERVABILITY_PORT: '0',
    OBSERVABILITY_HOST: '127.0.0.1',
    OBSERVABILITY_SHUTDOWN_GRACE_MS: String(GRACE_MS),
  });
  try {
    // Ending on its own is the point: exited() SIGKILLs after timeoutMs, which the asserts catch.
    const { code, signal } = await child.exited(timeoutMs);
    return { code, signal, ms: performance.now() - started, stdout: child.stdout(), stderr: child.stderr() };
  } finally {
    child.kill();
  }
}

// Prints what happened, then returns: nothing else keeps the event loop alive, so the
// process must exit by itself once shutdown has settled.
const REPORT = `
  const port = started.server?.port;
  const afterwards = await fetch('http://127.0.0.1:' + port + '/health/live').then((r) => r.status, () => 'refused');
  console.log(JSON.stringify({ order, port, afterwards, enabled: sentry.isEnabled(), shutdownMs }));
`;

describe('shutdownObservability() called twice, or during initObservability()', () => {
  const receivers: FaultyReceiver[] = [];
  after(() => Promise.all(receivers.map((r) => r.close())));

  for (const [name, make] of Object.entries({ down, slow })) {
    it(`twice at once, after init (receivers ${name}): one shutdown, both settle, the process exits on its own`, async () => {
      const receiver = await make();
      receivers.push(receiver);
      const result = await script(`
        const started = await initObservability();
        sentry.captureException(new Error('before shutdown'));
        trace.getTracer('reliability').startSpan('before shutdown').end();
        const order = [];
        const shutdownStarted = performance.now();
        const first = shutdownObservability();
        const second = shutdownObservability();
        order.push(first === second ? 'same promise' : 'two promises');
        await Promise.all([first.then(() => order.push('first')), second.then(() => order.push('second'))]);
        const shutdownMs = performance.now() - shutdownStarted;
        await shutdownObservability();
        order.push('third');
        ${REPORT}
      `, receiver.url);
      assert.deepEqual([result.code, result.signal], [0, null], result.stderr);
      const report = JSON.parse(result.stdout) as { order: string[]; afterwards: unknown; enabled: boolean; shutdownMs: number };
      assert.deepEqual(report.order, ['same promise', 'first', 'second', 'third']);
      assert.ok(report.shutdownMs < GRACE_MS + 1_500, `shutdown took ${Math.round(report.shutdownMs)} ms`);
      assert.equal(report.afterwards, 'refused', 'the observability server still listens after shutdown');
      assert.equal(report.enabled, false);
      assert.ok(result.ms < 15_000, `took ${Math.round(result.ms)} ms`);
      const lines = sdkLines(result.stderr);
      assert.deepEqual(lines.filter((line, i) => lines.indexOf(line) !== i), [], result.stderr);
    });

    it(`during init, before its promise resolves (receivers ${name}): both settle, the process exits on its own`, async () => {
      const receiver = await make();
      receivers.push(receiver);
      const result = await script(`
        const order = [];
        const init = initObservability();
        sentry.captureException(new Error('during init'));
        trace.getTracer('reliability').startSpan('during init').end();
        const shutdownStarted = performance.now();
        const a = shutdownObservability().then(() => order.push('shutdown a'));
        const b = shutdownObservability().then(() => order.push('shutdown b'));
        const started = await init.then((value) => { order.push('init'); return value; });
        await Promise.all([a, b]);
        const shutdownMs = performance.now() - shutdownStarted;
        ${REPORT}
      `, receiver.url);
      assert.deepEqual([result.code, result.signal], [0, null], result.stderr);
      const report = JSON.parse(result.stdout) as { order: string[]; port: unknown; afterwards: unknown; enabled: boolean; shutdownMs: number };
      // init settles first (shutdown waits for it), then both shutdown calls.
      assert.deepEqual(report.order, ['init', 'shutdown a', 'shutdown b']);
      assert.equal(typeof report.port, 'number');
      assert.equal(report.afterwards, 'refused', 'the observability server still listens after shutdown');
      assert.equal(report.enabled, false);
      // Shutdown is bounded by the grace period (plus starting) even with the receivers holding requests.
      assert.ok(report.shutdownMs < GRACE_MS + 3_000, `shutdown took ${Math.round(report.shutdownMs)} ms`);
      assert.ok(result.ms < 15_000, `took ${Math.round(result.ms)} ms`);
    });
  }

  it('with a receiver that never answers, the process still exits on its own soon after shutdown settles', async () => {
    const receiver = await blackHole();
    receivers.push(receiver);
    const result = await script(`
      await initObservability();
      sentry.captureException(new Error('into the void'));
      await shutdownObservability();
      console.log('shutdown settled');
    `, receiver.url, GRACE_MS + SENTRY_SEND_DEADLINE_MS + 8_000);
    assert.ok(receiver.hits() > 0, 'the receiver saw the envelope');
    assert.deepEqual([result.code, result.signal], [0, null], `killed after ${Math.round(result.ms)} ms: still held open\n${result.stderr}`);
  });
});
