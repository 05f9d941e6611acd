// HTTP throughput of a hello-world node:cluster app with 2 workers (bench/apps/hello-cluster.cjs):
// bare, under the preload (metrics on: the primary aggregates the workers' at each scrape),
// and under the preload while /metrics is scraped every second (far more often than
// Prometheus does), to show the aggregation stays off the request path. wrk on loopback;
// every variant is a fresh cluster, rounds interleaved; ratios are to bare in the same run.
// Run: node bench/cluster-throughput.ts [--seconds 5] [--rounds 5] [--write]
// Needs wrk (Debian: apt-get install wrk).

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/prometheus.ts';
import { machine, median, replaceSection } from './report.ts';
import { requireWrk, wrk } from './wrk.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const seconds = option('--seconds', 5);
const rounds = option('--rounds', 5);
const CONNECTIONS = 50;

interface Variant { name: string; preload: boolean; scrapeEveryMs?: number }
const variants: Variant[] = [
  { name: 'bare node:cluster, 2 workers', preload: false },
  { name: 'this preload, metrics on', preload: true },
  { name: 'this preload, metrics on, /metrics scraped every 1 s', preload: true, scrapeEveryMs: 1_000 },
];

async function start(variant: Variant): Promise<{ child: ChildProcess; port: number; obs: string }> {
  const [port, obsPort] = [await freePort(), await freePort()];
  const env = variant.preload ? { OBSERVABILITY_PORT: String(obsPort), OBSERVABILITY_HOST: '127.0.0.1', ENABLE_METRICS: 'true' } : {};
  const child = spawn(process.execPath, [...(variant.preload ? ['--import', './register.js'] : []), 'bench/apps/hello-cluster.cjs'], {
    cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
  child.stderr!.resume();
  const deadline = Date.now() + 20_000;
  while (!out.includes('listening')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${variant.name} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, port, obs: `http://127.0.0.1:${obsPort}/metrics` };
}

async function measure(variant: Variant): Promise<number> {
  const { child, port, obs } = await start(variant);
  let scraper: NodeJS.Timeout | undefined;
  try {
    await wrk(port, 1, CONNECTIONS); // warm-up
    if (variant.scrapeEveryMs) {
      scraper = setInterval(() => void fetch(obs).then((r) => r.text()).catch(() => {}), variant.scrapeEveryMs);
    }
    return await wrk(port, seconds, CONNECTIONS);
  } finally {
    clearInterval(scraper);
    child.kill('SIGKILL'); // the workers end with their primary's IPC channel
    await once(child, 'exit');
  }
}

requireWrk();

const results = new Map(variants.map((v) => [v.name, [] as number[]]));
for (let round = 1; round <= rounds; round++) {
  // Rotate the order each round, so no variant always runs first (or last).
  const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
  for (const variant of order) {
    const rps = await measure(variant);
    results.get(variant.name)!.push(rps);
    console.error(`round ${round}: ${variant.name}: ${Math.round(rps)} req/s`);
  }
}
const bare = median(results.get(variants[0]!.name)!);
const rows = variants.map(({ name }) => {
  const rps = results.get(name)!;
  const ratios = rps.map((r, i) => r / results.get(variants[0]!.name)![i]!);
  return `| ${name} | ${Math.round(median(rps))} | ${(median(rps) / bare).toFixed(2)}x | ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}x |`;
});
const table = [
  `${machine()}, load average ${loadavg()[0]!.toFixed(1)} at the end; wrk -t1 -c${CONNECTIONS} -d${seconds}s on 127.0.0.1, median of ${rounds} interleaved rounds.`,
  `Command: \`node bench/cluster-throughput.ts --seconds ${seconds} --rounds ${rounds}\``,
  '',
  '| variant | req/s | vs bare | per-round ratio, range |',
  '|---|---:|---:|---:|',
  ...rows,
].join('\n');
console.log(table);
if (args.includes('--write')) replaceSection('docs/performance.md', 'cluster-throughput', table);
