// End to end with a real Prometheus server on loopback: it scrapes the pipeline with
// its own headers (OpenMetrics-first Accept, gzip) and the series read back through its
// HTTP API are the ones declared.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { metrics } from '@opentelemetry/api';
import { metricsRegistry, startMetrics } from '../src/metrics/index.ts';
import { requireBinaries, startPrometheus } from './helpers/prometheus.ts';
import { pipelineOptions } from './helpers/metrics-pipeline.ts';

test('a real Prometheus scrapes /metrics and stores the series as declared', { timeout: 60_000 }, async () => {
  requireBinaries('prometheus');
  const scrapes: http.IncomingHttpHeaders[] = [];
  const served: { encoding?: string | number | string[] | undefined; type?: string | number | string[] | undefined }[] = [];
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    scrapes.push(req.headers);
    res.on('finish', () => served.push({ encoding: res.getHeader('content-encoding'), type: res.getHeader('content-type') }));
    void pipeline.handle(req, res);
  });
  const pipeline = startMetrics({
    cardinalityLimit: 2000,
    healthResults: () => [{ name: 'database', status: 'degraded', latency_ms: 12 }],
    incoming: pipelineOptions(server).incoming,
    resource: pipelineOptions(server).resource,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  const orders = metricsRegistry.counter('shop_orders_total', 'Orders placed', ['method', 'endpoint', 'status']);
  orders.labels({ method: 'GET', endpoint: '/api/products', status: '200' }).inc(1234);
  const latency = metricsRegistry.histogram('shop_latency_seconds', 'Shop latency', ['endpoint'], { buckets: [0.01, 0.05, 0.1] });
  latency.labels('/api/products').observe(0.045);
  // What OpenMetrics writes differently: a counter without _total (typed unknown), a quote in
  // HELP (escaped), an OTel meter with a unit that is not a suffix of its name (UNIT dropped).
  metricsRegistry.counter('shop_jobs_processed', 'Jobs "processed"').inc(2);
  metrics.getMeter('shop-lib').createHistogram('shop.queue.wait', { unit: 'ms', description: 'Queue wait' }).record(12);

  const prometheus = await startPrometheus(port);
  try {
    await prometheus.waitForScrape();
    const [counter] = await prometheus.query('shop_orders_total');
    assert.deepEqual(counter?.metric, {
      __name__: 'shop_orders_total',
      endpoint: '/api/products',
      instance: `127.0.0.1:${port}`,
      job: 'sdk',
      method: 'GET',
      status: '200',
    });
    assert.equal(counter?.value[1], '1234');
    const buckets = await prometheus.query('shop_latency_seconds_bucket');
    assert.deepEqual(
      buckets.map((b) => [b.metric.le, b.value[1]]).sort(),
      [['+Inf', '1'], ['0.01', '0'], ['0.05', '1'], ['0.1', '1']],
    );
    const [jobs] = await prometheus.query('shop_jobs_processed');
    assert.equal(jobs?.value[1], '2');
    assert.equal((await prometheus.query('shop_queue_wait_count'))[0]?.value[1], '1');
    const [health] = await prometheus.query('health_check_status{check="database"}');
    assert.equal(health?.value[1], '0.5');
    const [cpu] = await prometheus.query('process_cpu_seconds_total');
    assert.ok(Number(cpu?.value[1]) > 0);
    // Prometheus asked OpenMetrics-first with gzip; it got gzipped OpenMetrics and accepted it
    // (waitForScrape fails on any scrape error), counters and histograms under their declared names.
    assert.match(String(scrapes[0]?.accept), /^application\/openmetrics-text/);
    assert.match(String(scrapes[0]?.['accept-encoding']), /gzip/);
    assert.equal(served[0]?.encoding, 'gzip');
    assert.equal(served[0]?.type, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    // Its scrapes are to our own server: not counted as app requests.
    assert.deepEqual(await prometheus.query('http_server_request_duration_seconds_count > 0'), []);
  } finally {
    await prometheus.stop();
    await pipeline.shutdown();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
