// /metrics over real HTTP: the spec's examples exactly as declared, content negotiation,
// gzip, OTel meters beside the facade, promtool on a realistic exposition, and shutdown.

import assert from 'node:assert/strict';
import http from 'node:http';
import { afterEach, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { metrics } from '@opentelemetry/api';
import { type MetricsOptions, type MetricsPipeline, metricsRegistry, startMetrics } from '../src/metrics/index.ts';
import { resetWarnings } from '../src/warnings.ts';
import { pipelineOptions } from './helpers/metrics-pipeline.ts';
import { promtoolCheck, requireBinaries } from './helpers/prometheus.ts';
import { captureStderr } from './helpers/stderr.ts';

interface Served {
  url: string;
  pipeline: MetricsPipeline;
  server: http.Server;
  close(): Promise<void>;
}

/** A real node:http server whose /metrics route calls pipeline.handle, as the SDK's built-in server does. */
async function serve(overrides: Partial<MetricsOptions> = {}): Promise<Served> {
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') void pipeline.handle(req, res);
    else res.end('app\n');
  });
  const pipeline = startMetrics({ ...pipelineOptions(server), ...overrides });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    pipeline,
    server,
    close: async () => {
      await pipeline.shutdown();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** GET or HEAD over node:http, without fetch's automatic decompression. */
function raw(url: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

// The spec's examples, declared once at module load, before any pipeline runs.
const requests = metricsRegistry.counter('http_requests_total', 'Total HTTP requests', ['method', 'endpoint', 'status']);
const latency = metricsRegistry.histogram('http_request_duration_seconds', 'HTTP request latency', ['endpoint'], {
  buckets: [0.01, 0.05, 0.1, 0.5, 1.0, 5.0],
});
const active = metricsRegistry.gauge('active_connections', 'Number of active connections', ['pool']);
const productsOk = requests.labels('GET', '/api/products', '200'); // bound before start

describe('GET /metrics', () => {
  let served: Served | undefined;
  // Each test starts its own pipeline (values start from zero) and closes it here.
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  test("the spec's examples appear exactly as declared", async () => {
    productsOk.inc(99); // before start: dropped
    served = await serve();
    for (let i = 0; i < 1233; i++) requests.labels({ method: 'GET', endpoint: '/api/products', status: '200' }).inc();
    productsOk.inc();
    latency.labels({ endpoint: '/api/products' }).observe(0.045);
    active.labels({ pool: 'database' }).set(42);

    // What curl and promtool get (Prometheus asks for OpenMetrics: test/metrics-openmetrics.test.ts).
    const response = await fetch(`${served.url}/metrics`, { headers: { accept: 'text/plain;version=0.0.4' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    const expected = [
      '# HELP http_requests_total Total HTTP requests',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="GET",endpoint="/api/products",status="200"} 1234',
      '# HELP http_request_duration_seconds HTTP request latency',
      '# TYPE http_request_duration_seconds histogram',
      'http_request_duration_seconds_bucket{endpoint="/api/products",le="0.01"} 0',
      'http_request_duration_seconds_bucket{endpoint="/api/products",le="0.05"} 1',
      'http_request_duration_seconds_bucket{endpoint="/api/products",le="0.1"} 1',
      'http_request_duration_seconds_bucket{endpoint="/api/products",le="0.5"} 1',
      'http_request_duration_seconds_bucket{endpoint="/api/products",le="1"} 1',
      'http_request_duration_seconds_bucket{endpoint="/api/products",le="5"} 1',
      'http_request_duration_seconds_bucket{endpoint="/api/products",le="+Inf"} 1',
      'http_request_duration_seconds_sum{endpoint="/api/products"} 0.045',
      'http_request_duration_seconds_count{endpoint="/api/products"} 1',
      '# HELP active_connections Number of active connections',
      '# TYPE active_connections gauge',
      'active_connections{pool="database"} 42',
      '',
    ].join('\n');
    assert.ok(text.includes(expected), `exposition:\n${text}`);
    assert.doesNotMatch(text, /otel_scope|_total_total|http_requests_total_total/);
    assert.ok(text.endsWith('\n'));
  });

  test('HEAD has the headers and no body; large bodies are gzipped only when accepted', async () => {
    served = await serve();
    productsOk.inc(1234);
    const plain = await raw(`${served.url}/metrics`, { accept: PROMETHEUS_ACCEPT });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.match(plain.body.toString(), /^# HELP /m);

    const zipped = await raw(`${served.url}/metrics`, { accept: PROMETHEUS_ACCEPT, 'accept-encoding': 'gzip' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'Accept, Accept-Encoding');
    assert.equal(Number(zipped.headers['content-length']), zipped.body.length);
    assert.ok(zipped.body.length < plain.body.length / 2, `${zipped.body.length} vs ${plain.body.length}`);
    assert.match(gunzipSync(zipped.body).toString(), /http_requests_total\{method="GET",endpoint="\/api\/products",status="200"\} 1234\n/);

    const refused = await raw(`${served.url}/metrics`, { 'accept-encoding': 'gzip;q=0, identity' });
    assert.equal(refused.headers['content-encoding'], undefined);

    const head = await raw(`${served.url}/metrics`, { 'accept-encoding': 'gzip' }, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(head.body.length, 0);
  });

  test('names are never rewritten: a counter without _total, colons, escaped label values', async () => {
    served = await serve();
    metricsRegistry.counter('jobs_processed', 'Jobs processed').inc(3);
    metricsRegistry.gauge('job:queue_depth', 'Depth "now"\nby queue \\ name', ['queue']).labels('a"b\\c\nd').set(-1.5);
    const text = await (await fetch(`${served.url}/metrics`)).text();
    // Legal Prometheus, but promtool lints both names; other tests must not see them.
    metricsRegistry.removeMetric('jobs_processed');
    metricsRegistry.removeMetric('job:queue_depth');
    assert.ok(text.includes('# HELP jobs_processed Jobs processed\n# TYPE jobs_processed counter\njobs_processed 3\n'), text);
    assert.ok(
      text.includes(
        '# HELP job:queue_depth Depth "now"\\nby queue \\\\ name\n# TYPE job:queue_depth gauge\njob:queue_depth{queue="a\\"b\\\\c\\nd"} -1.5\n',
      ),
      text,
    );
  });

  test("users' own OTel meters are served beside the facade, in OTel's Prometheus naming", async () => {
    served = await serve();
    metrics.getMeter('my-lib').createCounter('my.lib.calls', { description: 'Calls into my lib' }).add(7, { op: 'read' });
    const text = await (await fetch(`${served.url}/metrics`)).text();
    assert.ok(text.includes('# HELP my_lib_calls_total Calls into my lib\n# TYPE my_lib_calls_total counter\nmy_lib_calls_total{op="read"} 7\n'), text);
    assert.match(text, /^target_info\{service_name="metrics-test",.*telemetry_sdk_language="nodejs"/m);
  });
});

describe('conflicts and failures', () => {
  test('an OTel metric that would print as a declared facade name is hidden, with a warning', async () => {
    resetWarnings();
    const served = await serve();
    try {
      metrics.getMeter('clash').createCounter('http.requests', { description: 'otel twin' }).add(1);
      const { result: text, stderr } = await captureStderr(async () => (await fetch(`${served.url}/metrics`)).text());
      assert.equal(text.match(/^# TYPE http_requests_total /gm)?.length, 1, text);
      assert.doesNotMatch(text, /otel twin/);
      assert.match(stderr, /OTel metric "http\.requests" \(meter "clash"\) is hidden: the metrics facade already declares "http_requests_total"/);
    } finally {
      await served.close();
    }
  });

  test('a failing scrape-time hook is reported once and the rest is still served', async () => {
    resetWarnings();
    const served = await serve();
    const stop = metricsRegistry.onCollect(() => {
      throw new Error('sensor unplugged');
    });
    try {
      const { result, stderr } = await captureStderr(async () => {
        const response = await fetch(`${served.url}/metrics`);
        return { status: response.status, text: await response.text() };
      });
      assert.equal(result.status, 200);
      assert.match(result.text, /^# TYPE http_requests_total counter$/m);
      assert.match(stderr, /some metrics could not be collected at this scrape: Error: sensor unplugged/);
    } finally {
      stop();
      await served.close();
    }
  });
});

describe('promtool', () => {
  before(() => requireBinaries('promtool'));
  test('promtool can fail: it flags a gauge named like a counter', async () => {
    const result = await promtoolCheck('# HELP bad_total x\n# TYPE bad_total gauge\nbad_total 1\n');
    assert.equal(result.code, 3, result.output);
    assert.match(result.output, /non-counter metrics should not have "_total" suffix/);
  });

  test('a realistic exposition (facade, RED, runtime, health, OTel meter, target_info) is promtool-clean', async () => {
    const served = await serve({
      healthResults: () => [
        { name: 'database', status: 'healthy', latency_ms: 3 },
        { name: 'redis', status: 'degraded', latency_ms: 120 },
        { name: 'module:billing', status: 'unhealthy', latency_ms: 5000 },
      ],
    });
    try {
      const app = http.createServer((_req, res) => res.end('ok'));
      await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
      const { port } = app.address() as { port: number };
      for (let i = 0; i < 5; i++) await (await fetch(`http://127.0.0.1:${port}/x`)).text();
      app.closeAllConnections();
      app.close();
      metricsRegistry.histogram('order_value_euros', 'Order value', ['currency'], { buckets: [1, 10, 100] }).labels('EUR').observe(12);
      metrics.getMeter('promtool-check').createHistogram('queue.wait', { unit: 's', description: 'Queue wait' }).record(0.2);
      const response = await fetch(`${served.url}/metrics`, { headers: { accept: 'text/plain;version=0.0.4' } });
      const text = await response.text();
      for (const name of ['http_server_request_duration_seconds_count', 'process_cpu_seconds_total', 'health_check_status', 'target_info', 'queue_wait']) {
        assert.ok(text.includes(name), `${name} missing from:\n${text}`);
      }
      const result = await promtoolCheck(text);
      assert.equal(result.code, 0, `promtool: ${result.output}\n${text}`);
    } finally {
      await served.close();
    }
  });
});

describe('shutdown', () => {
  test('unregisters the global meter provider, turns the facade back to no-op and answers 404', async () => {
    const served = await serve();
    const probe = metricsRegistry.counter('shutdown_probe_total', 'Probe');
    probe.inc();
    const meterBefore = metrics.getMeterProvider();
    await served.pipeline.shutdown();
    assert.notEqual(metrics.getMeterProvider(), meterBefore);
    probe.inc(5); // dropped
    const response = await fetch(`${served.url}/metrics`);
    assert.equal(response.status, 404);
    assert.equal(await response.text(), 'metrics are disabled\n');
    assert.equal(metricsRegistry.enabled, false);
    // A new pipeline can start, and counts from zero.
    const again = await serve();
    try {
      const text = await (await fetch(`${again.url}/metrics`)).text();
      assert.match(text, /^shutdown_probe_total 0$/m);
    } finally {
      await again.close();
      await served.close();
    }
  });

});
