// A node:cluster app whose WORKERS workers (default 4) each hold the same 2,000 series,
// for bench/cluster-scrape.ts: 10 counters x 100 label values, 5 gauges x 100, and one
// histogram x 50 label values (7 buckets + +Inf + _sum + _count = 10 series each).
// BENCH_LIB=sdk: the facade, under the preload (its primary serves /metrics).
// BENCH_LIB=prom-client: prom-client in every process, and the primary serves
// AggregatorRegistry.clusterMetrics() on PORT, as prom-client's docs show.
import cluster from 'node:cluster';
import http from 'node:http';

const WORKERS = Number(process.env.WORKERS ?? 4);
const lib = process.env.BENCH_LIB;
const LABELS = Array.from({ length: 100 }, (_, i) => `v${i}`);
const BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

async function registry() {
  if (lib === 'sdk') {
    const { metricsRegistry } = await import('@wizamart/observability');
    return {
      counter: (name, help) => metricsRegistry.counter(name, help, ['key']),
      gauge: (name, help) => metricsRegistry.gauge(name, help, ['key']),
      histogram: (name, help) => metricsRegistry.histogram(name, help, ['key'], { buckets: BUCKETS }),
    };
  }
  const { default: client } = await import('prom-client');
  client.collectDefaultMetrics(); // what prom-client users run, as the SDK's runtime metrics
  new client.AggregatorRegistry(); // in a worker: answers the primary's requests (prom-client's example does this in every process)
  return {
    counter: (name, help) => new client.Counter({ name, help, labelNames: ['key'] }),
    gauge: (name, help) => new client.Gauge({ name, help, labelNames: ['key'] }),
    histogram: (name, help) => new client.Histogram({ name, help, labelNames: ['key'], buckets: BUCKETS }),
  };
}

if (cluster.isPrimary) {
  if (lib === 'prom-client') {
    const { default: client } = await import('prom-client');
    const aggregator = new client.AggregatorRegistry();
    http.createServer(async (req, res) => {
      try {
        const text = await aggregator.clusterMetrics();
        res.writeHead(200, { 'Content-Type': aggregator.contentType }).end(text);
      } catch (error) {
        res.writeHead(500).end(String(error));
      }
    }).listen(Number(process.env.PORT), '127.0.0.1');
  }
  let ready = 0;
  for (let i = 0; i < WORKERS; i++) {
    cluster.fork().on('message', (m) => { if (m === 'ready' && ++ready === WORKERS) console.log('ready'); });
  }
} else {
  const metrics = await registry();
  const n = cluster.worker.id;
  for (let c = 0; c < 10; c++) {
    const counter = metrics.counter(`bench_requests_${c}_total`, `Requests of kind ${c}`);
    for (const key of LABELS) counter.labels({ key }).inc(n);
  }
  for (let g = 0; g < 5; g++) {
    const gauge = metrics.gauge(`bench_queue_${g}_depth`, `Depth of queue ${g}`);
    for (const key of LABELS) gauge.labels({ key }).set(n);
  }
  const histogram = metrics.histogram('bench_job_seconds', 'Job duration');
  for (const key of LABELS.slice(0, 50)) for (const v of [0.003, 0.07, 2]) histogram.labels({ key }).observe(v * n);
  process.send('ready');
}
