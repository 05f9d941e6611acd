// SIGTERM under load, in a real process under the built preload: the orders app (each
// GET /api/orders/:id is one server span and one Sentry event) receives a steady stream
// of requests with distinct ids, with the collector and Sentry live on 127.0.0.1, and is
// sent SIGTERM mid-stream with a 1.5 s drain delay. During the drain readiness is 503
// (reason draining), liveness 200, and the app keeps serving; what it captured arrives:
// the events Sentry received are exactly the event ids the app returned, and every
// request answered while observability was up has its server span at the collector.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { REGISTER, startNode, type Child } from './helpers/process.ts';
import { request } from './helpers/http.ts';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.ts';
import { startSentryReceiver, type SentryReceiver } from './helpers/sentry-receiver.ts';

const DRAIN_MS = 1_500;
const WORKERS = 4;
// A steady stream, not a flood: Sentry's transport keeps at most 100 envelopes in flight by design.
const PAUSE_MS = 10;
const ANSWERED_BEFORE_SIGNAL = 60;
const PATH_PREFIX = '/api/orders/';

interface Answer { id: string; eventId: string | undefined; at: number }
interface Probe { at: number; ready: number; reason: unknown; live: number }

interface Run {
  answered: Answer[];
  failures: { id: string; at: number; error: string }[];
  probes: Probe[];
  signalledAt: number;
  exitedAt: number;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  stderr: string;
}

/** Server spans (kind 2) of GET /api/orders/:id, and the order id each was for. */
const orderSpans = (otlp: OtlpReceiver) => otlp.spans.filter((s) => s.kind === 2 && String(s.attributes['url.path']).startsWith(PATH_PREFIX));
const orderIdOf = (span: OtlpReceiver['spans'][number]) => String(span.attributes['url.path']).slice(PATH_PREFIX.length);

const alive = (child: Child) => child.process.exitCode === null && child.process.signalCode === null;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runUnderLoad(collector: string, sentry: SentryReceiver): Promise<Run> {
  const child = startNode(['--import', REGISTER, 'test/fixtures/orders-app.mjs'], {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    SENTRY_DSN: sentry.dsn,
    OBSERVABILITY_PORT: '0',
    OBSERVABILITY_HOST: '127.0.0.1',
    OBSERVABILITY_DRAIN_DELAY_MS: String(DRAIN_MS),
    OBSERVABILITY_SHUTDOWN_GRACE_MS: '5000',
  });
  try {
    const [, appPort] = await child.waitFor(/orders listening on port (\d+)/);
    const deadline = Date.now() + 15_000;
    while (!/serving \/health/.test(child.stderr()) && Date.now() < deadline) await pause(20);
    const obsPort = child.stderr().match(/serving \/health[^\n]* on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
    assert.ok(obsPort, child.stderr());

    const answered: Answer[] = [];
    const failures: Run['failures'] = [];
    let next = 0;
    const worker = async (w: number) => {
      while (alive(child)) {
        const id = `sigterm-${w}-${next++}`;
        try {
          const reply = await request(`http://127.0.0.1:${appPort}/api/orders/${id}`, {}, 10_000);
          assert.equal(reply.status, 500, reply.text);
          answered.push({ id, eventId: (reply.json() as { eventId?: string }).eventId, at: performance.now() });
        } catch (error) {
          failures.push({ id, at: performance.now(), error: String((error as Error).cause ?? error) });
        }
        await pause(PAUSE_MS);
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));

    while (answered.length < ANSWERED_BEFORE_SIGNAL) {
      assert.ok(alive(child), child.stderr());
      await pause(5);
    }
    const signalledAt = performance.now();
    child.process.kill('SIGTERM');

    const probes: Probe[] = [];
    const prober = (async () => {
      while (alive(child)) {
        try {
          const [ready, live] = await Promise.all([
            request(`http://127.0.0.1:${obsPort}/health/ready`, {}, 2_000),
            request(`http://127.0.0.1:${obsPort}/health/live`, {}, 2_000),
          ]);
          probes.push({ at: performance.now(), ready: ready.status, reason: (ready.json() as { reason?: unknown }).reason, live: live.status });
        } catch {
          // The server closes once the drain is over; failures after that are expected.
        }
        await pause(100);
      }
    })();

    const exit = await child.exited(20_000);
    const exitedAt = performance.now();
    await Promise.all([...workers, prober]);
    return { answered, failures, probes, signalledAt, exitedAt, exit, stderr: child.stderr() };
  } finally {
    child.kill();
  }
}

describe('SIGTERM under load: drain, keep serving, lose nothing captured', () => {
  let otlp: OtlpReceiver;
  let sentry: SentryReceiver;
  let run: Run;
  /** Order ids of the server spans the collector received for the route. */
  let spanIds: string[];

  before(async () => {
    [otlp, sentry] = await Promise.all([startOtlpReceiver(), startSentryReceiver()]);
    run = await runUnderLoad(otlp.endpoint, sentry);
    // Flushed before the exit; this only lets the receivers finish reading the last bodies.
    const withEvent = run.answered.filter((a) => a.eventId !== undefined).length;
    await sentry.waitForEvents(withEvent, 5_000).catch(() => {});
    const serverSpans = () => orderSpans(otlp);
    await otlp.waitFor(() => serverSpans().length >= withEvent, 5_000).catch(() => {});
    spanIds = serverSpans().map(orderIdOf);
  });
  after(() => Promise.all([otlp?.close(), sentry?.close()]));

  it('the process ends by the signal, after the drain, within the grace period', () => {
    assert.deepEqual(run.exit, { code: null, signal: 'SIGTERM' }, run.stderr);
    const ms = run.exitedAt - run.signalledAt;
    assert.ok(ms >= DRAIN_MS * 0.9, `exited ${Math.round(ms)} ms after SIGTERM, before the ${DRAIN_MS} ms drain was over`);
    assert.ok(ms < DRAIN_MS + 5_000 + 3_000, `exited ${Math.round(ms)} ms after SIGTERM`);
  });

  it('during the drain /health/ready is 503 with reason "draining" and /health/live is 200', () => {
    const during = run.probes.filter((p) => p.at - run.signalledAt < DRAIN_MS * 0.9);
    assert.ok(during.length >= 3, `only ${during.length} probe rounds during the drain`);
    for (const probe of run.probes) {
      assert.deepEqual({ ready: probe.ready, reason: probe.reason, live: probe.live }, { ready: 503, reason: 'draining', live: 200 });
    }
  });

  it('the app keeps serving through the drain', () => {
    const inDrain = run.answered.filter((a) => a.at > run.signalledAt && a.at - run.signalledAt < DRAIN_MS);
    assert.ok(inDrain.length >= 20, `only ${inDrain.length} requests answered during the drain`);
    // Requests fail only once the process is going away, never during the drain.
    const early = run.failures.filter((f) => f.at - run.signalledAt < DRAIN_MS * 0.9);
    assert.deepEqual(early, []);
    assert.ok(run.answered.length > ANSWERED_BEFORE_SIGNAL);
  });

  it('Sentry received exactly the events whose ids the app returned, each once', () => {
    const returned = run.answered.map((a) => a.eventId).filter((id): id is string => id !== undefined);
    const received = sentry.events.map((e) => e.event_id);
    assert.ok(returned.length > ANSWERED_BEFORE_SIGNAL);
    assert.equal(new Set(received).size, received.length, 'an event arrived twice');
    assert.deepEqual([...received].sort(), [...returned].sort());
    // And each is the error of its own order.
    const byId = new Map(run.answered.map((a) => [a.eventId, a.id]));
    for (const event of sentry.events) {
      assert.equal(event.exception?.values?.[0]?.value, `order ${byId.get(event.event_id)} could not be charged`);
    }
  });

  it('every request answered while observability was up has its server span at the collector, once', () => {
    assert.equal(new Set(spanIds).size, spanIds.length, 'a span arrived twice');
    const answeredIds = new Set(run.answered.map((a) => a.id));
    assert.deepEqual(spanIds.filter((id) => !answeredIds.has(id)), [], 'spans for requests that got no answer');
    // An event id means Sentry was still open when the request ran, and so was the span pipeline.
    const missing = run.answered.filter((a) => a.eventId !== undefined && !spanIds.includes(a.id)).map((a) => a.id);
    assert.deepEqual(missing, []);
  });

});

/** A collector that takes 1 s to accept each export (within the export timeout), then hands it to `target`. */
async function slowCollector(target: string): Promise<{ endpoint: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    await pause(1_000);
    const reply = await fetch(`${target}${req.url}`, {
      method: 'POST', body: Buffer.concat(chunks), headers: { 'content-type': 'application/json' },
    }).catch(() => undefined);
    res.writeHead(reply?.status ?? 502, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

// The window the bug lives in is as long as the final flush: with a live local collector a
// few ms (a handful of requests, sometimes none), with a collector that takes 1 s, a second.
describe('SIGTERM under load, the final flush taking 1 s', () => {
  let otlp: OtlpReceiver;
  let sentry: SentryReceiver;
  let slow: { endpoint: string; server: Server };
  let run: Run;
  let spanIds: string[];

  before(async () => {
    [otlp, sentry] = await Promise.all([startOtlpReceiver(), startSentryReceiver()]);
    slow = await slowCollector(otlp.endpoint);
    run = await runUnderLoad(slow.endpoint, sentry);
    spanIds = orderSpans(otlp).map(orderIdOf);
  });
  after(() => Promise.all([
    otlp?.close(),
    sentry?.close(),
    new Promise((resolve) => { slow?.server.closeAllConnections(); slow?.server.close(resolve); }),
  ]));

  it('every request answered before the exit has its span and its event (count answered == spans received)', () => {
    const late = run.answered.filter((a) => a.eventId === undefined).map((a) => a.id);
    assert.deepEqual(late, [], `${late.length} of ${run.answered.length} answered requests had no event`);
    assert.equal(spanIds.length, run.answered.length);
  });
});
