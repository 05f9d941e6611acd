// The metrics facade on its own: declaration, recording, validation errors, the
// cardinality guard and the disabled state. Each test uses its own MetricsRegistry.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistogramMetricData, SumMetricData } from '@opentelemetry/sdk-metrics';
import { resetWarnings } from '../src/warnings.ts';
import { MetricsRegistry, OVERFLOW_LABEL } from '../src/metrics/index.ts';
import { captureStderr } from './helpers/stderr.ts';

function enabled(): MetricsRegistry {
  const registry = new MetricsRegistry();
  registry.enable();
  return registry;
}

/** name -> [{ attributes, value }] from the data the registry hands to OTel. */
function points(registry: MetricsRegistry, name: string): { attributes: Record<string, unknown>; value: unknown }[] {
  const metric = registry.collect().find((m) => m.descriptor.name === name);
  assert.ok(metric, `metric ${name} collected`);
  return (metric as SumMetricData).dataPoints.map((p) => ({ attributes: { ...p.attributes }, value: p.value }));
}

describe('recording', () => {
  test('object and positional labels reach the same series, in declared label order', () => {
    const registry = enabled();
    const requests = registry.counter('http_requests_total', 'Total HTTP requests', ['method', 'endpoint', 'status']);
    requests.labels({ method: 'GET', endpoint: '/api/products', status: '200' }).inc();
    requests.labels('GET', '/api/products', '200').inc(2);
    requests.labels({ status: 200, endpoint: '/api/products', method: 'GET' }).inc(); // number label, other key order
    assert.equal(requests.labels('GET', '/api/products', 200), requests.labels({ method: 'GET', endpoint: '/api/products', status: '200' }));
    assert.deepEqual(points(registry, 'http_requests_total'), [
      { attributes: { method: 'GET', endpoint: '/api/products', status: '200' }, value: 4 },
    ]);
  });

  test('unlabelled metrics take the calls directly and report 0 before any call', () => {
    const registry = enabled();
    const jobs = registry.counter('jobs_total', 'Jobs');
    assert.deepEqual(points(registry, 'jobs_total'), [{ attributes: {}, value: 0 }]);
    jobs.inc();
    jobs.inc(2.5);
    const temp = registry.gauge('temperature_celsius', 'Temperature');
    temp.set(20);
    temp.inc(3);
    temp.dec(0.5);
    assert.deepEqual(points(registry, 'jobs_total'), [{ attributes: {}, value: 3.5 }]);
    assert.deepEqual(points(registry, 'temperature_celsius'), [{ attributes: {}, value: 22.5 }]);
  });

  test('histogram buckets are upper-inclusive, with sum and count, and startTimer observes seconds', async () => {
    const registry = enabled();
    const latency = registry.histogram('latency_seconds', 'Latency', ['endpoint'], { buckets: [0.1, 0.5, 1] });
    const series = latency.labels({ endpoint: '/a' });
    for (const v of [0.05, 0.1, 0.3, 1, 7]) series.observe(v);
    const end = series.startTimer();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const seconds = end();
    assert.ok(seconds >= 0.015 && seconds < 1, `timer measured ${seconds}s`);
    const metric = registry.collect().find((m) => m.descriptor.name === 'latency_seconds') as HistogramMetricData;
    const value = metric.dataPoints[0]?.value;
    assert.deepEqual(value?.buckets, { boundaries: [0.1, 0.5, 1], counts: [3, 1, 1, 1] });
    assert.equal(value?.count, 6);
    assert.ok(Math.abs((value?.sum ?? 0) - (8.45 + seconds)) < 1e-9);
  });

  test('re-declaring the same shape returns the same object', () => {
    const registry = new MetricsRegistry();
    const a = registry.histogram('h_seconds', 'H', ['x'], { buckets: [1, 2] });
    assert.equal(registry.histogram('h_seconds', 'H', ['x'], { buckets: [1, 2, Infinity] }), a);
    const c = registry.counter('c_total', 'C');
    assert.equal(registry.counter('c_total', 'C', []), c);
  });

  test('reset() drops labelled series', () => {
    const registry = enabled();
    const gauge = registry.gauge('pool_size', 'Pool', ['pool']);
    gauge.labels('db').set(3);
    gauge.reset();
    assert.deepEqual(points(registry, 'pool_size'), []);
  });
});

describe('validation errors name the metric', () => {
  const registry = new MetricsRegistry();

  test('bad metric names, help and label names', () => {
    assert.throws(() => registry.counter('http-requests', 'x'), {
      name: 'MetricsError',
      message: 'Invalid metric name "http-requests": Prometheus names match [a-zA-Z_:][a-zA-Z0-9_:]*',
    });
    assert.throws(() => registry.counter('1st_total', 'x'), /Invalid metric name "1st_total"/);
    assert.throws(() => registry.counter('ok_total', ''), { message: 'Metric "ok_total": help must be a non-empty string' });
    assert.throws(() => registry.counter('ok_total', 'x', ['bad-label']), {
      message: 'Metric "ok_total": invalid label name "bad-label": Prometheus label names match [a-zA-Z_][a-zA-Z0-9_]*',
    });
    assert.throws(() => registry.counter('ok_total', 'x', ['__name']), {
      message: 'Metric "ok_total": label name "__name" is reserved (names starting with "__" are Prometheus-internal)',
    });
    assert.throws(() => registry.counter('ok_total', 'x', ['a', 'a']), { message: 'Metric "ok_total": duplicate label name "a"' });
    assert.throws(() => registry.histogram('ok_seconds', 'x', ['le']), {
      message: 'Metric "ok_seconds": label name "le" is reserved for this metric type',
    });
  });

  test('bad buckets', () => {
    assert.throws(() => registry.histogram('b_seconds', 'x', [], { buckets: [] }), {
      message: 'Metric "b_seconds": buckets must be a non-empty array of numbers',
    });
    assert.throws(() => registry.histogram('b_seconds', 'x', [], { buckets: [1, 1] }), {
      message: 'Metric "b_seconds": buckets must be strictly increasing (1 then 1)',
    });
    assert.throws(() => registry.histogram('b_seconds', 'x', [], { buckets: [1, NaN] }), {
      message: 'Metric "b_seconds": bucket NaN is not a finite number',
    });
  });

  test('re-declaring with another shape', () => {
    registry.counter('orders_total', 'Orders', ['region']);
    assert.throws(() => registry.gauge('orders_total', 'Orders', ['region']), {
      message:
        'Metric "orders_total" is already declared as a counter, help "Orders", labels [region]; ' +
        'cannot re-declare it as a gauge, help "Orders", labels [region]',
    });
    assert.throws(() => registry.counter('orders_total', 'Orders', ['country']), /labels \[region\]; cannot re-declare it as .*labels \[country\]/);
    assert.throws(() => registry.counter('orders_total', 'All orders', ['region']), /help "Orders".*help "All orders"/);
    registry.histogram('wait_seconds', 'Wait', [], { buckets: [1, 2] });
    assert.throws(() => registry.histogram('wait_seconds', 'Wait', [], { buckets: [1, 3] }), /buckets \[1, 2\]; .*buckets \[1, 3\]/);
    assert.throws(() => registry.counter('wait_seconds_count', 'x'), {
      message: 'Metric "wait_seconds_count" clashes with the series of histogram "wait_seconds"',
    });
  });

  test('unknown, missing and mistyped labels', () => {
    const requests = registry.counter('req_total', 'Requests', ['method', 'status']);
    assert.throws(() => requests.labels({ method: 'GET', status: '200', path: '/x' } as never), {
      message: 'Metric "req_total": unknown label "path" (declared: method, status)',
    });
    assert.throws(() => requests.labels({ method: 'GET' } as never), { message: 'Metric "req_total": missing label "status"' });
    assert.throws(() => requests.labels({ method: 'GET', stats: '200' } as never), {
      message: 'Metric "req_total": unknown label "stats" (declared: method, status)',
    });
    assert.throws(() => requests.labels('GET'), {
      message: 'Metric "req_total": expected 2 label value(s) (method, status), got 1',
    });
    assert.throws(() => requests.labels({ method: 'GET', status: null } as never), {
      message: 'Metric "req_total": label "status" must be a string or number, got null',
    });
    assert.throws(() => requests.labels('GET', NaN), { message: 'Metric "req_total": label "status" must be a string or number, got NaN' });
    assert.throws(() => requests.inc(), { message: 'Metric "req_total" has labels; call .labels(...) before recording' });
    const plain = registry.counter('plain_total', 'Plain');
    assert.throws(() => plain.labels({ method: 'GET' } as never), { message: 'Metric "plain_total": unknown label "method" (declared: none)' });
  });

  test('non-finite values and negative counter increments', () => {
    const requests = registry.counter('neg_total', 'Requests', ['method']).labels('GET');
    assert.throws(() => requests.inc(-1), { message: 'Metric "neg_total": counters only go up; inc(-1) is negative' });
    assert.throws(() => requests.inc(NaN), { message: 'Metric "neg_total": counter increment must be a finite number, got NaN' });
    assert.throws(() => requests.inc(Infinity), { message: 'Metric "neg_total": counter increment must be a finite number, got Infinity' });
    assert.throws(() => requests.inc('1' as never), { message: 'Metric "neg_total": counter increment must be a finite number, got "1"' });
    const gauge = registry.gauge('g_value', 'G');
    assert.throws(() => gauge.set(-Infinity), { message: 'Metric "g_value": gauge value must be a finite number, got -Infinity' });
    assert.throws(() => gauge.inc(NaN), { message: 'Metric "g_value": gauge increment must be a finite number, got NaN' });
    assert.throws(() => gauge.dec({} as never), { message: 'Metric "g_value": gauge decrement must be a finite number, got object' });
    const histogram = registry.histogram('h_value_seconds', 'H');
    assert.throws(() => histogram.observe(NaN), { message: 'Metric "h_value_seconds": observed value must be a finite number, got NaN' });
  });
});

describe('cardinality guard', () => {
  test('past the cap, new label sets share one overflow series and one warning names the metric', async () => {
    resetWarnings();
    const registry = enabled();
    registry.cardinalityLimit = 3;
    const hits = registry.counter('page_hits_total', 'Hits', ['path']);
    const { stderr } = await captureStderr(() => {
      for (let i = 0; i < 1000; i++) hits.labels(`/page/${i}`).inc();
      hits.labels('/page/0').inc(); // an existing series still records
    });
    const data = points(registry, 'page_hits_total');
    assert.deepEqual(data, [
      { attributes: { path: '/page/0' }, value: 2 },
      { attributes: { path: '/page/1' }, value: 1 },
      { attributes: { path: '/page/2' }, value: 1 },
      { attributes: { [OVERFLOW_LABEL]: 'true' }, value: 997 },
    ]);
    assert.equal(stderr.split('\n').filter(Boolean).length, 1, stderr);
    assert.match(stderr, /metric "page_hits_total" reached its cardinality limit of 3 series; further label sets are counted in the series \{otel_metric_overflow="true"\}/);
  });

  test("past the cap of one of the SDK's own metrics, the warning does not blame the user's labels", async () => {
    resetWarnings();
    const registry = enabled();
    const own = registry.counter('sdk_own_total', 'Own', ['route']);
    own.builtIn = true;
    const { stderr } = await captureStderr(() => {
      for (let i = 0; i <= registry.cardinalityLimit; i++) own.labels(`/r${i}`).inc();
    });
    assert.match(stderr, /metric "sdk_own_total" reached .*series that exist keep counting\. This is one of the SDK's own metrics/);
    assert.doesNotMatch(stderr, /Check its labels/);
  });

  test('the cap must be a positive integer', () => {
    const registry = new MetricsRegistry();
    assert.throws(() => (registry.cardinalityLimit = 0), { message: 'cardinalityLimit must be a positive integer, got 0' });
    assert.equal(registry.cardinalityLimit, 2000);
  });
});

describe('disabled', () => {
  test('not started: counters validate but record nothing; enable() starts them from zero', () => {
    const registry = new MetricsRegistry();
    const requests = registry.counter('early_total', 'Early', ['method']);
    const cached = requests.labels('GET'); // bound at module load, before start
    cached.inc(5);
    assert.throws(() => cached.inc(-1), /counters only go up/); // mistakes still surface
    assert.equal(registry.enabled, false);
    assert.deepEqual(points(registry, 'early_total'), [{ attributes: { method: 'GET' }, value: 0 }]);
    registry.enable();
    cached.inc();
    requests.labels('GET').inc();
    assert.deepEqual(points(registry, 'early_total'), [{ attributes: { method: 'GET' }, value: 2 }]);
    registry.disable();
    cached.inc(10);
    assert.deepEqual(points(registry, 'early_total'), [{ attributes: { method: 'GET' }, value: 2 }]);
  });

  test('gauges are state: set before start and kept across a start', () => {
    const registry = new MetricsRegistry();
    const info = registry.gauge('app_info', 'App', ['version']);
    info.labels('1.2.3').set(1);
    const connections = registry.gauge('open_connections', 'Open');
    connections.inc(); // a connection opened before start...
    assert.throws(() => connections.set(NaN), /gauge value must be a finite number/);
    registry.enable();
    connections.dec(); // ...and closed after it
    assert.deepEqual(points(registry, 'app_info'), [{ attributes: { version: '1.2.3' }, value: 1 }]);
    assert.deepEqual(points(registry, 'open_connections'), [{ attributes: {}, value: 0 }]);
  });
});

test('the enum values the facade writes (src/metrics/otel-values.ts) are OpenTelemetry\'s own', async () => {
  const { createRequire } = await import('node:module');
  const load = createRequire(import.meta.url);
  const sdk = load('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const api = load('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const ours = await import('../src/metrics/otel-values.ts');
  assert.deepEqual(ours.DataPointType, { HISTOGRAM: sdk.DataPointType.HISTOGRAM, GAUGE: sdk.DataPointType.GAUGE, SUM: sdk.DataPointType.SUM });
  assert.equal(ours.AggregationTemporality.CUMULATIVE, sdk.AggregationTemporality.CUMULATIVE);
  assert.equal(ours.ValueType.DOUBLE, api.ValueType.DOUBLE);
});

test('importing the SDK loads no OpenTelemetry package: they load when a feature that needs them starts', async () => {
  const { spawnSync } = await import('node:child_process');
  // Every resolution, ES module or CommonJS, goes through the hook.
  const script = "import { registerHooks } from 'node:module'; const loaded = new Set();"
    + " registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context); if (result.url.includes('@opentelemetry')) loaded.add(result.url.replace(/.*node_modules\\//, '')); return result; } });"
    + " await import('@wizamart/observability'); console.log(JSON.stringify([...loaded]));";
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), []);
});
