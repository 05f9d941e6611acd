// /metrics render time and size: the facade through OTel's reader and our exposition vs
// prom-client's register.metrics(), with the stock OTel path (SDK counter + the
// exporter's PrometheusSerializer) for reference. Same series in each: a counter with
// three labels, N label sets.
// Run: node bench/metrics-render.ts   (Node 24; never part of npm test)

import { gzipSync, constants } from 'node:zlib';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import client from 'prom-client';
import { MetricsRegistry } from '../src/metrics/index.ts';
import { createOTelBridge } from '../src/metrics/otel-bridge.ts';
import { resolveResource } from '../src/resource.ts';
import { machine, measureMs, table } from './metrics-harness.ts';

const SIZES = (process.env.BENCH_SIZES ?? '100,1000,10000,50000').split(',').map(Number);
const NAMES = ['method', 'endpoint', 'status'] as const;

function labelSet(i: number): Record<(typeof NAMES)[number], string> {
  return { method: ['GET', 'POST', 'PUT', 'DELETE'][i % 4] as string, endpoint: `/api/products/${i}`, status: String(200 + (i % 5)) };
}

const rows: (string | number)[][] = [];
for (const size of SIZES) {
  const facade = new MetricsRegistry();
  facade.cardinalityLimit = size + 1;
  facade.enable();
  const fCounter = facade.counter('http_requests_total', 'Total HTTP requests', NAMES);
  const bridge = createOTelBridge(facade, size + 1, resolveResource({ serviceName: 'bench', environment: 'bench', release: undefined, env: {}, warn: () => {} }));

  const prom = new client.Registry();
  const pCounter = new client.Counter({ name: 'http_requests_total', help: 'Total HTTP requests', labelNames: NAMES, registers: [prom] });

  const stock = new PrometheusExporter({ preventServerStart: true });
  const stockProvider = new MeterProvider({ readers: [stock], views: [{ instrumentName: '*', aggregationCardinalityLimit: size + 1 }] });
  const oCounter = stockProvider.getMeter('bench').createCounter('http_requests_total', { description: 'Total HTTP requests' });
  const stockSerializer = new PrometheusSerializer();

  for (let i = 0; i < size; i++) {
    const labels = labelSet(i);
    fCounter.labels(labels).inc(i + 1);
    pCounter.labels(labels).inc(i + 1);
    oCounter.add(i + 1, labels);
  }

  let facadeText = '';
  let promText = '';
  let stockText = '';
  // The first render also builds each series' cached label text.
  const coldStart = process.hrtime.bigint();
  Buffer.from(await bridge.render());
  const coldMs = Number(process.hrtime.bigint() - coldStart) / 1e6;
  // Each job ends in the bytes a response would carry (Buffer.from flattens concatenated strings).
  const fMs = await measureMs(async () => Buffer.from((facadeText = await bridge.render())));
  const pMs = await measureMs(async () => Buffer.from((promText = await prom.metrics())));
  const oMs = await measureMs(async () => Buffer.from((stockText = stockSerializer.serialize((await stock.collect()).resourceMetrics))));
  const gzStart = process.hrtime.bigint();
  const gz = gzipSync(facadeText, { level: constants.Z_BEST_SPEED });
  const gzMs = Number(process.hrtime.bigint() - gzStart) / 1e6;
  const fBytes = Buffer.byteLength(facadeText);
  const pBytes = Buffer.byteLength(promText);
  rows.push([
    size,
    fMs.toFixed(2),
    coldMs.toFixed(2),
    pMs.toFixed(2),
    (fMs / pMs).toFixed(2) + 'x',
    oMs.toFixed(2),
    fBytes,
    pBytes,
    (fBytes / pBytes).toFixed(2) + 'x',
    Buffer.byteLength(stockText),
    `${gz.length} (${gzMs.toFixed(1)} ms)`,
    (gz.length / pBytes).toFixed(2) + 'x',
  ]);
  await bridge.shutdown();
  await stockProvider.shutdown();
}

console.log(`# /metrics render, counter with 3 labels (${machine()})\n`);
console.log(
  table(
    ['series', 'facade ms', 'facade 1st ms', 'prom-client ms', 'time ratio', 'stock OTel ms', 'facade bytes', 'prom-client bytes', 'bytes ratio', 'stock OTel bytes', 'facade gzip-1 bytes', 'wire ratio'],
    rows,
  ),
);
console.log('\nms: median of 9 renders after one warm-up, each ending in a Buffer (what a response sends). "facade 1st" is the very first render, which also renders and caches each series\' label text.');
console.log('Goal at 10k: time ratio <= 0.9x, bytes <= 0.9x. "wire ratio" is gzipped facade bytes / prom-client bytes (prom-client does not compress).');
