// Sentry events that know their request: the request block (secrets filtered), the
// transaction and route, and per-request user, tags and breadcrumbs that stay with their
// own request under concurrency. A real express app under the preload, real HTTP, envelopes
// decoded by the local Sentry receiver with @sentry/core's parser.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.ts';
import { REGISTER, startNode } from './helpers/process.ts';
import { startSentryReceiver, type SentryReceiver } from './helpers/sentry-receiver.ts';

interface SentEvent {
  event_id?: string;
  transaction?: string;
  tags?: Record<string, string>;
  user?: Record<string, unknown>;
  breadcrumbs?: Array<{ message?: string; category?: string }>;
  request?: { method?: string; url?: string; query_string?: unknown; headers?: Record<string, string>; cookies?: unknown };
}

/** The events with these ids, once all have arrived. */
async function eventsWithIds(receiver: SentryReceiver, ids: string[]): Promise<SentEvent[]> {
  const deadline = Date.now() + 10_000;
  const found = () => ids.map((id) => (receiver.events as SentEvent[]).find((event) => event.event_id === id));
  while (found().some((event) => !event) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(found().every(Boolean), `events ${ids.join(', ')} did not all arrive`);
  return found() as SentEvent[];
}

/**
 * POSTs JSON with credentials in the headers. `slowBody`: the body follows the headers
 * 100 ms later in two parts, so the app's handler runs from a later socket read than the
 * one that started the request (as with any slow client).
 */
function post(port: string, path: string, body: unknown, slowBody = false): Promise<{ eventId: string }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: Number(port), path, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), authorization: 'Bearer hunter2-token', cookie: 'session=abc123session', 'x-request-id': 'req-1' },
    }, (res) => {
      let answer = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk)).on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${answer}`));
        else resolve(JSON.parse(answer) as { eventId: string });
      });
    }).on('error', reject);
    req.flushHeaders();
    if (!slowBody) return void req.end(text);
    setTimeout(() => req.write(text.slice(0, 5)), 100);
    setTimeout(() => req.end(text.slice(5)), 150);
  });
}

describe('Sentry events know their request', () => {
  let sentryReceiver: SentryReceiver;
  let collector: OtlpReceiver;
  before(async () => {
    sentryReceiver = await startSentryReceiver();
    collector = await startOtlpReceiver();
  });
  after(async () => {
    await sentryReceiver.close();
    await collector.close();
  });

  for (const tracing of [false, true]) {
    it(`tracing ${tracing ? 'on' : 'off'}: request, transaction, route; user, tags and breadcrumbs stay with their own request`, async () => {
      const app = startNode(['--import', REGISTER, 'test/fixtures/sentry-request-app.mjs'], {
        SENTRY_DSN: sentryReceiver.dsn, OBSERVABILITY_SERVER: 'false',
        ...(tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } : {}),
      });
      try {
        const [, port] = await app.waitFor(/listening on port (\d+)/);
        // A's body comes late, then A waits 300 ms after setting its user; B starts 50 ms later and finishes first.
        const a = post(port!, '/orders/7/pay?wait=300&token=s3cr3t-query&page=2', { user: 'alice', tenant: 't-a' }, true);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const b = post(port!, '/orders/8/pay?page=3', { user: 'bob', tenant: 't-b' });
        const ids = { alice: (await a).eventId, bob: (await b).eventId };
        const events = await eventsWithIds(sentryReceiver, [ids.alice, ids.bob]);
        for (const [user, order, tenant] of [['alice', '7', 't-a'], ['bob', '8', 't-b']] as const) {
          const event = events.find((e) => e.event_id === ids[user]);
          assert.ok(event, `the event of ${user}'s request arrived`);
          assert.equal(event.transaction, 'POST /orders/:id/pay');
          assert.deepEqual(
            { route: event.tags?.route, tenant: event.tags?.tenant, region: event.tags?.region },
            { route: '/orders/:id/pay', tenant, region: 'eu-1' }, 'the request\'s tags, and the process-wide one');
          assert.equal(event.user?.id, user);
          assert.deepEqual(event.breadcrumbs?.filter((crumb) => crumb.category === 'payment').map((crumb) => crumb.message), [`charging order ${order}`]);
          assert.equal(event.request?.method, 'POST');
          assert.equal(event.request?.url, `http://127.0.0.1:${port}/orders/${order}/pay`);
          assert.equal(event.request?.headers?.['x-request-id'], 'req-1');
          assert.equal(event.request?.headers?.['content-type'], 'application/json');
          const text = JSON.stringify(event);
          for (const secret of ['hunter2', 'abc123session', 's3cr3t']) assert.ok(!text.includes(secret), `${secret} reached Sentry: ${text}`);
        }
        const alice = events.find((e) => e.event_id === ids.alice)!;
        assert.match(JSON.stringify(alice.request?.query_string), /token=(%5BFiltered%5D|\[Filtered\]).*page=2/);
      } finally {
        app.kill();
      }
    });
  }

  it('withScope: what the callback sets wins over the request\'s data for the events inside it', async () => {
    const app = startNode(['--import', REGISTER, 'test/fixtures/sentry-request-app.mjs'], { SENTRY_DSN: sentryReceiver.dsn, OBSERVABILITY_SERVER: 'false' });
    try {
      const [, port] = await app.waitFor(/listening on port (\d+)/);
      const { eventId } = await (await fetch(`http://127.0.0.1:${port}/scoped`)).json() as { eventId: string };
      const [event] = await eventsWithIds(sentryReceiver, [eventId]);
      assert.equal(event?.tags?.tenant, 'from-scope');
      assert.equal(event?.transaction, 'GET /scoped');
    } finally {
      app.kill();
    }
  });

  it('bad values to the scope calls are dropped with one warning each, naming the call; the request is answered', async () => {
    const app = startNode(['--import', REGISTER, 'test/fixtures/sentry-request-app.mjs'], { SENTRY_DSN: sentryReceiver.dsn, OBSERVABILITY_SERVER: 'false' });
    try {
      const [, port] = await app.waitFor(/listening on port (\d+)/);
      for (let i = 0; i < 2; i++) assert.equal((await fetch(`http://127.0.0.1:${port}/bad-input`)).status, 200);
      const warnings = app.stderr().split('\n').filter((line) => line.includes('OBS_SENTRY_VALUE'));
      assert.deepEqual(warnings.map((line) => line.replace(/^.*OBS_SENTRY_VALUE: /, '')), [
        'sentry.setTag: a tag key is 1-32 characters of letters, digits, _ . : -; the call is ignored',
        'sentry.setTag: tag tenant: the value must be a string, number or boolean, got object; the call is ignored',
        'sentry.setUser: expected an object such as { id, email, username } or null, got string; the call is ignored',
        'sentry.setContext: the context name must be a non-empty string; the call is ignored',
        'sentry.addBreadcrumb: expected an object such as { message, category, level }; the call is ignored',
      ]);
    } finally {
      app.kill();
    }
  });
});
