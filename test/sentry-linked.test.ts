// Issue 5's promise, end to end with real processes: an app under the preload, spans to
// a local OTLP collector and to Sentry's DSN-derived OTLP endpoint, an error captured in
// a request reaching Sentry with that request's trace id.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from './helpers/http.ts';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.ts';
import { REGISTER, startNode } from './helpers/process.ts';
import { startSentryReceiver, type SentryReceiver } from './helpers/sentry-receiver.ts';

const LISTENING = /serving \/health.* on (http:\/\/127\.0\.0\.1:\d+)/;

describe('Sentry linked to OpenTelemetry', () => {
  let collector: OtlpReceiver;
  let sentry: SentryReceiver;
  before(async () => {
    collector = await startOtlpReceiver();
    sentry = await startSentryReceiver();
  });
  after(async () => {
    await collector.close();
    await sentry.close();
  });

  it('an error captured in a request carries the trace id of that request\'s server span', async () => {
    const app = startNode(['--import', REGISTER, 'test/fixtures/orders-app.mjs'], {
      SENTRY_DSN: sentry.dsn, ENVIRONMENT: 'staging', SENTRY_RELEASE: 'shop@2.0.0',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer collector-secret', OTEL_SERVICE_NAME: 'orders',
      OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1', ENABLE_METRICS: 'true',
    });
    try {
      const [, port] = await app.waitFor(/orders listening on port (\d+)/);
      const reply = await request(`http://127.0.0.1:${port}/api/orders/42`);
      assert.equal(reply.status, 500);
      const { eventId } = reply.json() as { eventId: string };
      assert.match(eventId, /^[0-9a-f]{32}$/);

      // The SDK's own endpoints are kept out of traces.
      const own = app.stderr().match(LISTENING)![1]!;
      assert.equal((await request(`${own}/health/ready`)).status, 200);
      assert.equal((await request(`${own}/metrics`)).status, 200);

      app.process.kill('SIGTERM');
      const { signal } = await app.exited();
      assert.equal(signal, 'SIGTERM');

      const [event] = (await sentry.waitForEvents(1)).filter((e) => e.event_id === eventId);
      assert.ok(event, 'the event reached Sentry');
      assert.equal(event.exception?.values?.[0]?.value, 'order 42 could not be charged');
      assert.equal(event.environment, 'staging');
      assert.equal(event.release, 'shop@2.0.0');

      const spans = await collector.waitFor((s) => s.some((span) => span.kind === 2 && span.attributes['http.route'] === '/api/orders/:id'));
      const server = spans.find((span) => span.kind === 2 && span.attributes['http.route'] === '/api/orders/:id')!;
      assert.equal(event.contexts?.trace?.trace_id, server.traceId);
      assert.equal(server.resource['service.name'], 'orders');
      assert.equal(server.resource['deployment.environment.name'], 'staging');
      assert.equal(server.resource['service.version'], 'shop@2.0.0');
      assert.ok(!spans.some((span) => /\/health|\/metrics/.test(String(span.attributes['url.path'] ?? span.attributes['http.target'] ?? ''))),
        'no span for the SDK\'s own endpoints');
      // Nor for its own uploads: a traced Sentry envelope POST put sentry_key=… into url.full.
      const sentryUploads = spans.filter((span) => span.kind === 3 && /sentry|envelope/.test(String(span.attributes['url.full'] ?? span.attributes['url.path'] ?? '')));
      assert.deepEqual(sentryUploads.map((span) => span.attributes['url.full']), [], 'no client span for Sentry\'s uploads');
      assert.ok(!JSON.stringify(spans).includes('public0key'), 'no span attribute carries the Sentry key');
      assert.ok(!JSON.stringify(sentry.otlpBodies).includes('public0key'), 'nor do the spans sent to Sentry');

      // The same spans reached Sentry's OTLP endpoint, with Sentry's auth and not the collector's credentials.
      const sentryTraceIds = JSON.stringify(sentry.otlpBodies);
      assert.ok(sentryTraceIds.includes(server.traceId), 'the server span reached Sentry over OTLP');
      assert.match(String(sentry.otlpHeaders[0]?.['x-sentry-auth']), /sentry_key=public0key/);
      assert.equal(sentry.otlpHeaders[0]?.authorization, undefined, 'the collector\'s credentials are not sent to Sentry');
    } finally {
      app.kill();
    }
  });

  it('without a DSN nothing is sent to Sentry and ids are undefined, while traces still flow', async () => {
    const before = sentry.requests;
    const app = startNode(['--import', REGISTER, 'test/fixtures/orders-app.mjs'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1',
    });
    try {
      const [, port] = await app.waitFor(/orders listening on port (\d+)/);
      const reply = await request(`http://127.0.0.1:${port}/api/orders/7`);
      assert.deepEqual(reply.json(), {});
      app.process.kill('SIGTERM');
      await app.exited();
      assert.equal(sentry.requests, before);
    } finally {
      app.kill();
    }
  });
});
