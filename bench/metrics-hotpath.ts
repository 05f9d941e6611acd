// Hot path: the facade vs prom-client vs raw OTel, with a plain Map increment as the floor.
// Run: node bench/metrics-hotpath.ts   (Node 24; never part of npm test)

import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import client from 'prom-client';
import { MetricsRegistry } from '../src/metrics/index.ts';
import { machine, measure, table } from './metrics-harness.ts';

const N = Number(process.env.BENCH_N ?? 2_000_000);
const LABELS = { method: 'GET', endpoint: '/api/products', status: '200' };
const NAMES = ['method', 'endpoint', 'status'] as const;
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const facade = new MetricsRegistry();
facade.enable();
const fCounter = facade.counter('f_requests_total', 'Requests', NAMES);
const fBound = fCounter.labels(LABELS);
const fHistogram = facade.histogram('f_latency_seconds', 'Latency', NAMES, { buckets: BUCKETS });
const fHistBound = fHistogram.labels(LABELS);

const prom = new client.Registry();
const pCounter = new client.Counter({ name: 'p_requests_total', help: 'Requests', labelNames: NAMES, registers: [prom] });
const pBound = pCounter.labels(LABELS);
const pHistogram = new client.Histogram({ name: 'p_latency_seconds', help: 'Latency', labelNames: NAMES, buckets: BUCKETS, registers: [prom] });
const pHistBound = pHistogram.labels(LABELS);

// A reader is needed: without one the SDK keeps no storage and add() records nothing.
const provider = new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] });
const otelCounter = provider.getMeter('bench').createCounter('o.requests');

const map = new Map<string, number>([['GET /api/products 200', 0]]);
const KEY = 'GET /api/products 200';

const values = [0.003, 0.04, 0.2, 0.7, 3];

const results = [
  measure('Map increment (reference)', N, (n) => {
    for (let i = 0; i < n; i++) map.set(KEY, (map.get(KEY) as number) + 1);
  }),
  measure('facade bound inc()', N, (n) => {
    for (let i = 0; i < n; i++) fBound.inc();
  }),
  measure('prom-client bound inc()', N, (n) => {
    for (let i = 0; i < n; i++) pBound.inc();
  }),
  measure('facade labels(obj).inc()', N, (n) => {
    for (let i = 0; i < n; i++) fCounter.labels(LABELS).inc();
  }),
  measure('prom-client labels(obj).inc()', N, (n) => {
    for (let i = 0; i < n; i++) pCounter.labels(LABELS).inc();
  }),
  measure("facade labels('GET', ...).inc()", N, (n) => {
    for (let i = 0; i < n; i++) fCounter.labels('GET', '/api/products', '200').inc();
  }),
  measure('facade bound observe()', N, (n) => {
    for (let i = 0; i < n; i++) fHistBound.observe(values[i % 5] as number);
  }),
  measure('prom-client bound observe()', N, (n) => {
    for (let i = 0; i < n; i++) pHistBound.observe(values[i % 5] as number);
  }),
  measure('facade labels(obj).observe()', N, (n) => {
    for (let i = 0; i < n; i++) fHistogram.labels(LABELS).observe(values[i % 5] as number);
  }),
  measure('prom-client labels(obj).observe()', N, (n) => {
    for (let i = 0; i < n; i++) pHistogram.labels(LABELS).observe(values[i % 5] as number);
  }),
  measure('raw OTel counter.add(1, attrs)', N / 4, (n) => {
    for (let i = 0; i < n; i++) otelCounter.add(1, LABELS);
  }),
];

const ns = (name: string): number => results.find((r) => r.name === name)?.nsPerOp ?? NaN;
const ratio = (a: string, b: string): string => (ns(a) / ns(b)).toFixed(2) + 'x';

console.log(`# Metrics hot path (${machine()})\n`);
console.log(table(['case', 'ns/op'], results.map((r) => [r.name, r.nsPerOp.toFixed(1)])));
console.log('\nRatios (goal in brackets):');
console.log(table(
  ['comparison', 'ratio', 'goal'],
  [
    ['facade bound inc() / prom-client bound inc()', ratio('facade bound inc()', 'prom-client bound inc()'), '<= 0.2x'],
    ['facade labels(obj).inc() / prom-client labels(obj).inc()', ratio('facade labels(obj).inc()', 'prom-client labels(obj).inc()'), '<= 0.5x'],
    ['facade bound observe() / prom-client bound observe()', ratio('facade bound observe()', 'prom-client bound observe()'), '<= 0.3x'],
    ['facade labels(obj).observe() / prom-client labels(obj).observe()', ratio('facade labels(obj).observe()', 'prom-client labels(obj).observe()'), '-'],
    ['facade labels(obj).inc() / raw OTel add(1, attrs)', ratio('facade labels(obj).inc()', 'raw OTel counter.add(1, attrs)'), '-'],
    ['facade bound inc() / Map increment', ratio('facade bound inc()', 'Map increment (reference)'), '-'],
  ],
));
