// Every way to misuse the facade fails where the mistake is made, naming the metric, and
// none of it corrupts the exposition: promtool stays clean afterwards, and label values
// with quotes, backslashes, newlines and unicode come back exactly as recorded.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { healthRegistry, initObservability, metricsRegistry, MetricsError, shutdownObservability } from '../src/index.ts';
import { baseUrl, request } from './helpers/http.ts';
import { promtoolCheck } from './helpers/prometheus.ts';

describe('facade misuse', () => {
  let url = '';
  before(async () => {
    healthRegistry.clear();
    const { server } = await initObservability({ port: 0, host: '127.0.0.1', enableMetrics: true, env: {} });
    url = baseUrl(server);
  });
  after(() => shutdownObservability());

  it('throws a MetricsError naming the metric for every invalid call, and stays promtool-clean', async () => {
    const orders = metricsRegistry.counter('misuse_orders_total', 'Orders', ['method', 'status']);
    const latency = metricsRegistry.histogram('misuse_latency_seconds', 'Latency', ['route'], { buckets: [0.1, 1] });
    const depth = metricsRegistry.gauge('misuse_queue_depth', 'Depth', ['queue']);
    const plain = metricsRegistry.counter('misuse_plain_total', 'No labels');
    const misuse: [string, () => unknown, RegExp][] = [
      ['bad metric name', () => metricsRegistry.counter('bad-name', 'x'), /Invalid metric name "bad-name": Prometheus names match/],
      ['metric name starting with a digit', () => metricsRegistry.gauge('1st', 'x'), /Invalid metric name "1st"/],
      ['empty metric name', () => metricsRegistry.counter('', 'x'), /Invalid metric name ""/],
      // /metrics writes target_info itself: a second family of that name fails the whole scrape (issue 16, defect 8).
      ['target_info as a counter', () => metricsRegistry.counter('target_info', 'x'), /Metric name "target_info" is reserved: \/metrics already uses it for the service identity/],
      ['target_info as a gauge', () => metricsRegistry.gauge('target_info', 'x', ['service_name']), /Metric name "target_info" is reserved/],
      ['otel_scope_info', () => metricsRegistry.histogram('otel_scope_info', 'x'), /Metric name "otel_scope_info" is reserved/],
      ['empty help', () => metricsRegistry.counter('misuse_nohelp_total', ''), /Metric "misuse_nohelp_total": help must be a non-empty string/],
      ['bad label name', () => metricsRegistry.counter('misuse_a_total', 'x', ['bad-label']), /Metric "misuse_a_total"/],
      ['reserved label name', () => metricsRegistry.counter('misuse_b_total', 'x', ['__name']), /Metric "misuse_b_total": label name "__name" is reserved/],
      ['le on a histogram', () => metricsRegistry.histogram('misuse_c_seconds', 'x', ['le']), /Metric "misuse_c_seconds": label name "le" is reserved/],
      ['duplicate label', () => metricsRegistry.counter('misuse_d_total', 'x', ['a', 'a']), /Metric "misuse_d_total": duplicate label name "a"/],
      ['labelNames not an array', () => metricsRegistry.counter('misuse_e_total', 'x', 'a' as never), /Metric "misuse_e_total": labelNames must be an array/],
      ['unsorted buckets', () => metricsRegistry.histogram('misuse_f_seconds', 'x', [], { buckets: [1, 0.5] }), /Metric "misuse_f_seconds": buckets must be strictly increasing/],
      ['NaN bucket', () => metricsRegistry.histogram('misuse_g_seconds', 'x', [], { buckets: [NaN] }), /Metric "misuse_g_seconds": bucket NaN is not a finite number/],
      ['empty buckets', () => metricsRegistry.histogram('misuse_h_seconds', 'x', [], { buckets: [] }), /Metric "misuse_h_seconds": buckets must be a non-empty array/],
      ['re-declared as another type', () => metricsRegistry.gauge('misuse_orders_total', 'Orders', ['method', 'status']), /Metric "misuse_orders_total" is already declared as/],
      ['re-declared with other labels', () => metricsRegistry.counter('misuse_orders_total', 'Orders', ['method']), /Metric "misuse_orders_total" is already declared as/],
      ['re-declared with other buckets', () => metricsRegistry.histogram('misuse_latency_seconds', 'Latency', ['route'], { buckets: [1] }), /Metric "misuse_latency_seconds" is already declared as/],
      ['unknown label', () => orders.labels({ method: 'GET', status: '200', user: 'x' } as never), /Metric "misuse_orders_total"/],
      ['missing label', () => orders.labels({ method: 'GET' } as never), /Metric "misuse_orders_total": missing label "status"/],
      ['too few positional labels', () => orders.labels('GET' as never), /Metric "misuse_orders_total"/],
      ['too many positional labels', () => orders.labels('GET', '200', 'extra' as never), /Metric "misuse_orders_total"/],
      ['label value an object', () => orders.labels({ method: {} as never, status: '200' }), /Metric "misuse_orders_total": label "method" must be a string or number/],
      ['label value null', () => orders.labels({ method: null as never, status: '200' }), /Metric "misuse_orders_total"/],
      ['negative increment', () => orders.labels('GET', '200').inc(-1), /Metric "misuse_orders_total": counters only go up; inc\(-1\) is negative/],
      ['NaN increment', () => orders.labels('GET', '200').inc(NaN), /Metric "misuse_orders_total": .* must be a finite number, got NaN/],
      ['Infinity increment', () => plain.inc(Infinity), /Metric "misuse_plain_total": .* must be a finite number, got Infinity/],
      ['string increment', () => plain.inc('1' as never), /Metric "misuse_plain_total"/],
      ['NaN observation', () => latency.labels({ route: '/' }).observe(NaN), /Metric "misuse_latency_seconds": .* must be a finite number, got NaN/],
      ['-Infinity observation', () => latency.labels({ route: '/' }).observe(-Infinity), /Metric "misuse_latency_seconds"/],
      ['NaN gauge', () => depth.labels({ queue: 'a' }).set(NaN), /Metric "misuse_queue_depth": .* must be a finite number, got NaN/],
      ['Infinity gauge inc', () => depth.labels({ queue: 'a' }).inc(Infinity), /Metric "misuse_queue_depth"/],
      ['labels on an unlabelled metric', () => plain.labels({ x: '1' } as never), /Metric "misuse_plain_total"/],
      ['direct inc on a labelled metric', () => (orders as unknown as { inc(): void }).inc(), /Metric "misuse_orders_total"/],
    ];
    const unexpected: string[] = [];
    for (const [what, call, message] of misuse) {
      try {
        call();
        unexpected.push(`${what}: did not throw`);
      } catch (error) {
        if (!(error instanceof MetricsError)) unexpected.push(`${what}: threw ${String(error)}, not a MetricsError`);
        else if (!message.test(error.message)) unexpected.push(`${what}: "${error.message}" does not match ${message}`);
      }
    }
    assert.deepEqual(unexpected, []);

    const hostile = ['say "hi"', 'back\\slash', 'new\nline', 'tab\there', 'ünïcødé ✓ 🚀', '', '{}=,"', '\\n literal'];
    for (const value of hostile) {
      orders.labels({ method: value, status: '200' }).inc();
      depth.labels({ queue: value }).set(3);
      latency.labels({ route: value }).observe(0.2);
    }
    const text = (await request(`${url}/metrics`, { headers: { Accept: 'text/plain;version=0.0.4' } })).text;
    const lint = await promtoolCheck(text);
    assert.equal(lint.code, 0, lint.output);
    assert.equal(text.match(/^# TYPE target_info /gm)?.length, 1, 'one target_info family');
    const unescape = (v: string) => v.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const seen = [...text.matchAll(/^misuse_queue_depth\{queue="((?:[^"\\]|\\.)*)"\} 3$/gm)].map((m) => unescape(m[1]!));
    assert.deepEqual(seen.sort(), [...hostile].sort());
  });
});
