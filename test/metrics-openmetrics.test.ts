// OpenMetrics 1.0 on /metrics when the scraper asks for it, and exemplars on histogram
// buckets from the active sampled span. Real HTTP and a real context manager in this
// process; test/metrics-exemplars-prometheus.test.ts has the real Prometheus end to end.

import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, before, describe, test } from 'node:test';
import { context, metrics, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type MetricsPipeline, metricsRegistry, startMetrics } from '../src/metrics/index.ts';
import { negotiateFormat } from '../src/metrics/respond.ts';
import { pipelineOptions } from './helpers/metrics-pipeline.ts';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const TEXT = 'text/plain; version=0.0.4; charset=utf-8';

interface Served {
  url: string;
  pipeline: MetricsPipeline;
  close(): Promise<void>;
}

async function serve(): Promise<Served> {
  const server = http.createServer((req, res) => void pipeline.handle(req, res));
  const pipeline = startMetrics(pipelineOptions(server));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    pipeline,
    close: async () => {
      await pipeline.shutdown();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function scrape(url: string, accept: string): Promise<{ type: string | null; text: string }> {
  const response = await fetch(url, { headers: { accept } });
  return { type: response.headers.get('content-type'), text: await response.text() };
}

describe('content negotiation', () => {
  test('OpenMetrics only when named with a q not below text 0.0.4', () => {
    const cases: [string | undefined, string][] = [
      [PROMETHEUS_ACCEPT, 'openmetrics'],
      ['application/openmetrics-text', 'openmetrics'],
      ['Application/OpenMetrics-Text; Version="1.0.0"; charset=utf-8', 'openmetrics'],
      // Prometheus 3's header: an unknown parameter does not matter.
      ['application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;q=0.3', 'openmetrics'],
      ['text/plain;version=0.0.4;q=0.9, application/openmetrics-text;version=1.0.0;q=0.5', 'text'],
      ['application/openmetrics-text;q=0, text/plain', 'text'],
      ['application/openmetrics-text;q=0.000', 'text'],
      ['application/openmetrics-text;q=abc', 'text'],
      ['application/openmetrics-text;version=2.0.0', 'text'],
      ['*/*', 'text'],
      ['text/plain;version=0.0.4', 'text'],
      ['', 'text'],
      [undefined, 'text'],
    ];
    for (const [accept, format] of cases) assert.equal(negotiateFormat(accept), format, String(accept));
  });
});

describe('OpenMetrics body', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  test('families, counters, units, escaping and # EOF as OpenMetrics requires; names as declared', async () => {
    served = await serve();
    const orders = metricsRegistry.counter('om_orders_total', 'Orders placed', ['status']);
    orders.labels('paid').inc(3);
    metricsRegistry.counter('om_jobs_processed', 'Jobs "processed"').inc(2);
    metricsRegistry.histogram('om_latency_seconds', 'Latency', [], { buckets: [0.1, 1] }).observe(0.5);
    metricsRegistry.gauge('om_queue_bytes', 'Queue size').set(42);
    metrics.getMeter('om-lib').createCounter('om.lib.calls', { description: 'Calls "in"', unit: 'ms' }).add(7, { op: 'read' });

    const { type, text } = await scrape(served.url, PROMETHEUS_ACCEPT);
    assert.equal(type, OPENMETRICS);
    const expected = [
      '# HELP om_orders Orders placed',
      '# TYPE om_orders counter',
      'om_orders_total{status="paid"} 3',
      // Declared without _total: typed unknown so its one sample keeps its name.
      '# HELP om_jobs_processed Jobs \\"processed\\"',
      '# TYPE om_jobs_processed unknown',
      'om_jobs_processed 2',
      '# HELP om_latency_seconds Latency',
      '# UNIT om_latency_seconds seconds',
      '# TYPE om_latency_seconds histogram',
      'om_latency_seconds_bucket{le="0.1"} 0',
      'om_latency_seconds_bucket{le="1"} 1',
      'om_latency_seconds_bucket{le="+Inf"} 1',
      'om_latency_seconds_sum 0.5',
      'om_latency_seconds_count 1',
      '# HELP om_queue_bytes Queue size',
      '# UNIT om_queue_bytes bytes',
      '# TYPE om_queue_bytes gauge',
      'om_queue_bytes 42',
      '',
    ].join('\n');
    assert.ok(text.includes(expected), text);
    // The OTel meter's counter: family without _total, its unit `ms` (not a suffix) dropped.
    assert.ok(text.includes('# HELP om_lib_calls Calls \\"in\\"\n# TYPE om_lib_calls counter\nom_lib_calls_total{op="read"} 7\n'), text);
    assert.doesNotMatch(text, /^# UNIT om_lib_calls/m);
    assert.doesNotMatch(text, /^# TYPE \S+_total /m);
    assert.doesNotMatch(text, /^# (?!HELP |TYPE |UNIT |EOF$)/m);
    assert.ok(text.endsWith('\n# EOF\n'), text.slice(-200));
    assert.equal(text.match(/^# EOF$/gm)?.length, 1);

    // Anyone else still gets 0.0.4, names unchanged.
    const plain = await scrape(served.url, 'text/plain;version=0.0.4');
    assert.equal(plain.type, TEXT);
    assert.ok(plain.text.includes('# HELP om_orders_total Orders placed\n# TYPE om_orders_total counter\nom_orders_total{status="paid"} 3\n'));
    assert.doesNotMatch(plain.text, /# EOF|# UNIT om_(latency|queue)/);
    for (const name of ['om_orders_total', 'om_jobs_processed', 'om_latency_seconds', 'om_queue_bytes']) metricsRegistry.removeMetric(name);
  });
});

describe('exemplars', () => {
  before(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  let served: Served | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  const TRACE = '0af7651916cd43dd8448eb211c80319c';
  const inSpan = <T>(spanId: string, flags: number, fn: () => T): T =>
    context.with(trace.setSpan(context.active(), trace.wrapSpanContext({ traceId: TRACE, spanId, traceFlags: flags })), fn);

  test('buckets carry the last sampled observation, also from a timer ended after an await; only in OpenMetrics', async () => {
    served = await serve();
    served.pipeline.enableExemplars();
    const latency = metricsRegistry.histogram('ex_latency_seconds', 'Latency', ['route'], { buckets: [0.1, 1] });
    const series = latency.labels('/a');
    series.observe(5); // no span: no exemplar
    inSpan('00f067aa0ba902b7', TraceFlags.SAMPLED, () => series.observe(0.05));
    inSpan('00f067aa0ba902b8', TraceFlags.SAMPLED, () => series.observe(0.07)); // last one wins
    inSpan('00f067aa0ba902b9', TraceFlags.NONE, () => series.observe(0.5)); // not sampled

    const { text } = await scrape(served.url, PROMETHEUS_ACCEPT);
    const lines = text.split('\n').filter((l) => l.startsWith('ex_latency_seconds_bucket'));
    assert.match(lines[0]!, /^ex_latency_seconds_bucket\{route="\/a",le="0\.1"\} 2 # \{trace_id="0af7651916cd43dd8448eb211c80319c",span_id="00f067aa0ba902b8"\} 0\.07 \d{10}(\.\d+)?$/);
    assert.equal(lines[1], 'ex_latency_seconds_bucket{route="/a",le="1"} 3');
    assert.equal(lines[2], 'ex_latency_seconds_bucket{route="/a",le="+Inf"} 4');
    // A timer started in a span and ended after an await still sees its span.
    const timed = latency.labels('/b');
    await inSpan('00f067aa0ba902bb', TraceFlags.SAMPLED, async () => {
      const end = timed.startTimer();
      await sleep(1);
      end();
    });
    const again = (await scrape(served.url, PROMETHEUS_ACCEPT)).text;
    assert.match(again, /^ex_latency_seconds_bucket\{route="\/b",le="0\.1"\} 1 # \{trace_id="\w{32}",span_id="00f067aa0ba902bb"\} 0\.0\d+ /m);

    const plain = (await scrape(served.url, 'text/plain;version=0.0.4')).text;
    assert.doesNotMatch(plain, /trace_id/);
    metricsRegistry.removeMetric('ex_latency_seconds');
  });

  test("a counter's _total sample carries its last sampled increment; not a counter typed unknown, not a scrape-time increment", async () => {
    // The scrape itself runs in a sampled span, as one answered by healthRouter on the app's server does.
    const server = http.createServer((req, res) => inSpan('00f067aa0ba902c0', TraceFlags.SAMPLED, () => void pipeline.handle(req, res)));
    const pipeline = startMetrics(pipelineOptions(server));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    served = {
      url: `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`,
      pipeline,
      close: async () => {
        await pipeline.shutdown();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
    pipeline.enableExemplars();
    const orders = metricsRegistry.counter('ex_orders_total', 'Orders', ['status']);
    const jobs = metricsRegistry.counter('ex_jobs', 'Jobs');
    const scrapes = metricsRegistry.counter('ex_scrapes_total', 'Incremented at scrape time');
    const stop = metricsRegistry.onCollect(() => scrapes.inc());
    inSpan('00f067aa0ba902c1', TraceFlags.SAMPLED, () => {
      orders.labels('paid').inc(2);
      jobs.inc();
    });
    const { text } = await scrape(served.url, PROMETHEUS_ACCEPT);
    stop();
    assert.match(text, /^ex_orders_total\{status="paid"\} 2 # \{trace_id="0af7651916cd43dd8448eb211c80319c",span_id="00f067aa0ba902c1"\} 2 \d+(\.\d+)?$/m);
    assert.match(text, /^ex_jobs 1$/m);
    assert.match(text, /^ex_scrapes_total 1$/m);
    assert.doesNotMatch((await scrape(served.url, 'text/plain;version=0.0.4')).text, /trace_id/);
    for (const name of ['ex_orders_total', 'ex_jobs', 'ex_scrapes_total']) metricsRegistry.removeMetric(name);
  });

  test('tracing off: spans are not read and nothing is allocated per series', async () => {
    served = await serve(); // enableExemplars() not called: the SDK's tracing is off
    const latency = metricsRegistry.histogram('ex_off_seconds', 'Latency', [], { buckets: [0.1] });
    inSpan('00f067aa0ba902b7', TraceFlags.SAMPLED, () => latency.observe(0.05));
    assert.doesNotMatch((await scrape(served.url, PROMETHEUS_ACCEPT)).text, /trace_id/);
    assert.equal((metricsRegistry.get('ex_off_seconds') as unknown as { single: { exemplars: unknown } }).single.exemplars, undefined);
    metricsRegistry.removeMetric('ex_off_seconds');
  });
});
