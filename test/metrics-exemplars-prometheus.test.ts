// From a latency bucket to its trace, end to end: an unmodified app under the built preload
// exports spans to a local OTLP receiver; a real Prometheus with exemplar storage scrapes the
// SDK's /metrics (OpenMetrics, by its own Accept header) and the exemplars it stores name
// traces and spans the receiver got.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOtlpReceiver } from './helpers/otlp-receiver.ts';
import { REGISTER, startNode } from './helpers/process.ts';
import { type ExemplarSeries, requireBinaries, startPrometheus } from './helpers/prometheus.ts';

const SERVER = 2;

test('Prometheus stores exemplars whose trace and span ids are spans the OTLP receiver got', { timeout: 90_000 }, async () => {
  requireBinaries('prometheus');
  const receiver = await startOtlpReceiver();
  const app = startNode(['--import', REGISTER, 'test/fixtures/exemplars-app.mjs'], {
    OBSERVABILITY_PORT: '0',
    OBSERVABILITY_HOST: '127.0.0.1',
    ENABLE_METRICS: 'true',
    OTEL_SERVICE_NAME: 'exemplars-test',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  });
  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  try {
    const port = Number((await app.waitFor(/exemplars app listening on port (\d+)/))[1]);
    const ownPort = Number((await app.waitFor(/serving \/health.* on http:\/\/127\.0\.0\.1:(\d+)/, 15_000, 'stderr'))[1]);
    for (let i = 0; i < 5; i++) assert.equal(await (await fetch(`http://127.0.0.1:${port}/checkout/${i}`)).text(), 'charged\n');

    prometheus = await startPrometheus(ownPort, { features: ['exemplar-storage'] });
    await prometheus.waitForScrape(); // fails on any scrape error: the OpenMetrics body parsed
    const stored = async (selector: string): Promise<ExemplarSeries[]> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const series = await prometheus!.queryExemplars(selector);
        if (series.some((s) => s.exemplars.length > 0) || Date.now() > deadline) return series;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    const requests = (await stored('http_server_request_duration_seconds_bucket')).flatMap((s) => s.exemplars);
    const work = (await stored('checkout_work_seconds_bucket{step="charge"}')).flatMap((s) => s.exemplars);
    assert.ok(requests.length > 0, 'no exemplar on the request-duration histogram');
    assert.ok(work.length > 0, 'no exemplar on the facade histogram timed across an await');
    const counter = (await stored('checkouts_total')).flatMap((s) => s.exemplars);
    assert.ok(counter.length > 0, 'no exemplar on the facade counter');

    const spans = await receiver.waitFor((all) => all.filter((s) => s.kind === SERVER).length >= 5);
    const servers = new Map(spans.filter((s) => s.kind === SERVER).map((s) => [s.spanId, s.traceId]));
    for (const exemplar of [...requests, ...work, ...counter]) {
      const { trace_id: traceId, span_id: spanId } = exemplar.labels;
      // All three are recorded while the request's SERVER span is active.
      assert.equal(servers.get(spanId!), traceId, `exemplar ${JSON.stringify(exemplar)} names no span the receiver got`);
      assert.ok(Number(exemplar.value) > 0);
    }
  } finally {
    await prometheus?.stop();
    app.kill();
    await app.exited();
    await receiver.close();
  }
});
