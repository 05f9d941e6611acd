// /metrics render in OpenMetrics with exemplars vs text 0.0.4, same data: a histogram with
// three labels and the default 12 buckets, N label sets, every series observed once per
// bucket inside a sampled span (so, in OpenMetrics, every bucket line carries an exemplar:
// the worst case) or once (one exemplar per series: a typical request histogram).
// Run: node bench/metrics-render-openmetrics.ts   (Node 24; never part of npm test)

import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MetricsRegistry } from '../src/metrics/index.ts';
import { createOTelBridge } from '../src/metrics/otel-bridge.ts';
import { resolveResource } from '../src/resource.ts';
import { machine, measure, measureMs, table } from './metrics-harness.ts';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const NAMES = ['method', 'endpoint', 'status'] as const;
const VALUES = [0.003, 0.008, 0.02, 0.04, 0.08, 0.2, 0.4, 0.8, 2, 4, 8, 20]; // one per default bucket

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const median = (samples: number[]): number => samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number;
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

const rows: (string | number)[][] = [];
for (const size of SIZES) {
  for (const perSeries of [VALUES.length, 1]) {
    const facade = new MetricsRegistry();
    facade.cardinalityLimit = size + 1;
    facade.enable();
    facade.enableExemplars();
    const histogram = facade.histogram('http_request_duration_seconds', 'HTTP request latency', NAMES);
    const bridge = createOTelBridge(facade, size + 1, resolveResource({ serviceName: 'bench', environment: 'bench', release: undefined, env: {}, warn: () => {} }));
    for (let i = 0; i < size; i++) {
      const series = histogram.labels(['GET', 'POST', 'PUT', 'DELETE'][i % 4] as string, `/api/products/${i}`, String(200 + (i % 5)));
      for (let b = 0; b < perSeries; b++) {
        const span = trace.wrapSpanContext({ traceId: hex(i, 16) + hex(b, 16), spanId: hex(i * 16 + b, 16), traceFlags: TraceFlags.SAMPLED });
        context.with(trace.setSpan(context.active(), span), () => series.observe(VALUES[(i + b) % VALUES.length] as number));
      }
    }
    let text = '';
    let openMetrics = '';
    const coldStart = process.hrtime.bigint();
    Buffer.from(await bridge.render('openmetrics'));
    const coldMs = Number(process.hrtime.bigint() - coldStart) / 1e6;
    // Interleaved rounds, so GC debt and machine noise fall on both formats alike.
    const textSamples: number[] = [];
    const omSamples: number[] = [];
    for (let round = 0; round < 11; round++) {
      textSamples.push(await measureMs(async () => Buffer.from((text = await bridge.render('text'))), 1));
      omSamples.push(await measureMs(async () => Buffer.from((openMetrics = await bridge.render('openmetrics'))), 1));
    }
    const textMs = median(textSamples);
    const omMs = median(omSamples);
    const exemplars = openMetrics.match(/ # \{trace_id=/g)?.length ?? 0;
    rows.push([
      size,
      exemplars,
      textMs.toFixed(2),
      omMs.toFixed(2),
      coldMs.toFixed(2),
      (omMs / textMs).toFixed(2) + 'x',
      Buffer.byteLength(text),
      Buffer.byteLength(openMetrics),
    ]);
    await bridge.shutdown();
  }
}

// The record path: what keeping exemplars costs an observe().
const hot = new MetricsRegistry();
hot.enable();
const off = hot.histogram('hot_off_seconds', 'Latency', ['route']).labels('/a');
const on = hot.histogram('hot_on_seconds', 'Latency', ['route']).labels('/a');
const onState = new MetricsRegistry();
onState.enable();
onState.enableExemplars();
const traced = onState.histogram('hot_traced_seconds', 'Latency', ['route']).labels('/a');
const sampled = trace.setSpan(context.active(), trace.wrapSpanContext({ traceId: hex(1, 32), spanId: hex(1, 16), traceFlags: TraceFlags.SAMPLED }));
const N = 2_000_000;
const hotRows = [
  measure('observe(), tracing off', N, (n) => { for (let i = 0; i < n; i++) off.observe(VALUES[i % 12] as number); }),
  measure('observe(), tracing on, no active span', N, (n) => { for (let i = 0; i < n; i++) traced.observe(VALUES[i % 12] as number); }),
  context.with(sampled, () => measure('observe(), tracing on, in a sampled span', N, (n) => { for (let i = 0; i < n; i++) traced.observe(VALUES[i % 12] as number); })),
  context.with(sampled, () => measure('observe(), tracing off, in a sampled span', N, (n) => { for (let i = 0; i < n; i++) on.observe(VALUES[i % 12] as number); })),
].map((r) => [r.name, r.nsPerOp.toFixed(1)]);

console.log(`# observe() on a bound histogram series (${machine()})\n`);
console.log(table(['case', 'ns/op'], hotRows));
console.log('');
console.log(`# /metrics render: OpenMetrics with exemplars vs text 0.0.4, histogram with 3 labels, 12 buckets (${machine()})\n`);
console.log(table(['series', 'exemplars', 'text 0.0.4 ms', 'OpenMetrics ms', 'OpenMetrics 1st ms', 'time ratio', 'text bytes', 'OpenMetrics bytes'], rows));
console.log('\nms: median of 11 renders, each after a warm-up render and interleaved with the other format, each ending in a Buffer. "OpenMetrics 1st" is the first render, which also renders and caches each exemplar\'s text and each series\' label text.');
console.log('Goal at 10k series: time ratio <= 1.2x.');
