// The aggregated /metrics of a node:cluster app: 4 workers x the same 2,000 series
// (bench/apps/cluster-series.mjs), scraped from this SDK's primary and from prom-client's
// AggregatorRegistry on the same series, in one run. Both clusters run side by side; the
// scrapes alternate between them (and which goes first), so machine noise hits both alike.
// Time is request to last byte on a kept-alive connection, as Prometheus scrapes: text
// format 0.0.4, no compression (prom-client's example server has none).
// Run: node bench/cluster-scrape.ts [--scrapes 40] [--write]

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/prometheus.ts';
import { machine, median, replaceSection } from './report.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const scrapes = args.includes('--scrapes') ? Number(args[args.indexOf('--scrapes') + 1]) : 40;
const WORKERS = 4;
const HEADERS = { accept: 'text/plain;version=0.0.4', 'accept-encoding': 'identity' };

interface Cluster { name: string; child: ChildProcess; url: string }

async function start(name: string, lib: 'sdk' | 'prom-client'): Promise<Cluster> {
  const port = await freePort();
  const env = lib === 'sdk'
    ? { OBSERVABILITY_PORT: String(port), OBSERVABILITY_HOST: '127.0.0.1', ENABLE_METRICS: 'true' }
    : { PORT: String(port) };
  const child = spawn(process.execPath, [...(lib === 'sdk' ? ['--import', './register.js'] : []), 'bench/apps/cluster-series.mjs'], {
    cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, BENCH_LIB: lib, WORKERS: String(WORKERS), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
  const deadline = Date.now() + 30_000;
  while (!out.includes('ready')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name} did not start: ${out}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { name, child, url: `http://127.0.0.1:${port}/metrics` };
}

async function scrape(cluster: Cluster): Promise<{ ms: number; text: string }> {
  const started = performance.now();
  const response = await fetch(cluster.url, { headers: HEADERS });
  const text = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`${cluster.name}: ${response.status} ${text.slice(0, 200)}`);
  return { ms, text };
}

/** Every worker set bench_requests_0_total{key="v0"} to its cluster worker id: 1+2+3+4. */
const EXPECTED = /^bench_requests_0_total\{key="v0"\} 10$/m;

const clusters = [await start('this SDK (primary serves the port)', 'sdk'), await start('prom-client AggregatorRegistry', 'prom-client')];
try {
  for (const cluster of clusters) {
    // Until every worker has joined (the SDK's workers say hello when their preload starts).
    const deadline = Date.now() + 15_000;
    while (!EXPECTED.test((await scrape(cluster)).text)) {
      if (Date.now() > deadline) throw new Error(`${cluster.name} never summed all ${WORKERS} workers`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (let i = 0; i < 5; i++) await scrape(cluster); // warm-up
  }
  const results = new Map(clusters.map((c) => [c.name, { ms: [] as number[], bytes: 0, series: 0 }]));
  for (let i = 0; i < scrapes; i++) {
    const order = i % 2 === 0 ? clusters : [...clusters].reverse();
    for (const cluster of order) {
      const { ms, text } = await scrape(cluster);
      if (!EXPECTED.test(text)) throw new Error(`${cluster.name}: a scrape lost a worker`);
      const result = results.get(cluster.name)!;
      result.ms.push(ms);
      result.bytes = Buffer.byteLength(text);
      result.series = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    }
  }
  const baseline = median(results.get(clusters[1]!.name)!.ms);
  const rows = clusters.map(({ name }) => {
    const { ms, bytes, series } = results.get(name)!;
    return `| ${name} | ${median(ms).toFixed(1)} | ${(median(ms) / baseline).toFixed(2)}x | ${Math.round(bytes / 1024)} KiB | ${series} |`;
  });
  const table = [
    `${machine()}, load average ${loadavg()[0]!.toFixed(1)} at the end; ${WORKERS} workers x 2,000 series each, median of ${scrapes} scrapes per side, alternating.`,
    `Command: \`node bench/cluster-scrape.ts --scrapes ${scrapes}\``,
    '',
    '| aggregated /metrics | scrape (ms) | vs prom-client | bytes | series |',
    '|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
  console.log(table);
  if (args.includes('--write')) replaceSection('docs/performance.md', 'cluster-scrape', table);
} finally {
  for (const { child } of clusters) {
    child.kill('SIGKILL');
    await once(child, 'exit').catch(() => {});
  }
}
