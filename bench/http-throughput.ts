// HTTP throughput and memory: a hello-world node:http app under wrk on loopback, side
// by side in one run, every variant as its own process, rounds interleaved so drift
// hits all alike. Ratios are to the bare app in the same run.
// Run: node bench/http-throughput.ts [--seconds 5] [--rounds 3] [--only <regex>] [--write]
// Needs wrk (Debian: apt-get install wrk). Contacts 127.0.0.1 only: the OTLP collector
// and Sentry are a local sink that answers 200 to everything.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { machine, median, replaceSection } from './report.ts';
import { requireWrk, wrk } from './wrk.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const seconds = option('--seconds', 5);
// --only <regex>: the bare app plus the variants whose names match (bare stays: ratios are to it).
const only = args.includes('--only') ? new RegExp(args[args.indexOf('--only') + 1]!, 'i') : undefined;
const rounds = option('--rounds', 3);
const CONNECTIONS = 50;

interface Variant { name: string; flags: string[]; app: string; env: Record<string, string> }

async function sink(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function variants(sinkUrl: string): Variant[] {
  const hello = 'bench/apps/hello.cjs';
  const sdk = ['--import', './register.js'];
  const quiet = { OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1' };
  const otlp = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  const dsn = sinkUrl.replace('http://', 'http://benchkey@') + '/1';
  return [
    { name: 'bare node:http', flags: [], app: hello, env: {} },
    { name: 'prom-client request histogram (by hand)', flags: [], app: 'bench/apps/hello-prom-client.cjs', env: {} },
    { name: 'this preload: health only', flags: sdk, app: hello, env: { ...quiet } },
    { name: 'this preload: metrics (RED + runtime)', flags: sdk, app: hello, env: { ...quiet, ENABLE_METRICS: 'true' } },
    { name: 'this preload: metrics + traces on, nothing sampled (always_off)', flags: sdk, app: hello, env: { ...quiet, ENABLE_METRICS: 'true', ...otlp, OTEL_TRACES_SAMPLER: 'always_off' } },
    {
      name: 'this preload: metrics + traces, 10% parent-based ratio',
      flags: sdk, app: hello, env: { ...quiet, ENABLE_METRICS: 'true', ...otlp, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
    },
    { name: 'this preload: metrics + traces to OTLP', flags: sdk, app: hello, env: { ...quiet, ENABLE_METRICS: 'true', ...otlp } },
    { name: 'this preload: metrics + Sentry linked', flags: sdk, app: hello, env: { ...quiet, ENABLE_METRICS: 'true', SENTRY_DSN: dsn } },
    {
      name: 'stock auto-instrumentations register, traces to OTLP',
      flags: ['--import', '@opentelemetry/auto-instrumentations-node/register'],
      app: hello,
      env: { ...otlp, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process' },
    },
    {
      // The sink stands in for the Datadog agent (it answers 200 {}); no telemetry, remote config or other products.
      name: 'dd-trace, 100% to a local agent',
      flags: ['--require', 'dd-trace/init'],
      app: hello,
      env: {
        DD_TRACE_AGENT_URL: sinkUrl, DD_TRACE_SAMPLE_RATE: '1', DD_TRACE_STARTUP_LOGS: 'false', DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
        DD_REMOTE_CONFIGURATION_ENABLED: 'false', DD_RUNTIME_METRICS_ENABLED: 'false', DD_PROFILING_ENABLED: 'false', DD_CRASHTRACKING_ENABLED: 'false',
      },
    },
    { name: '@sentry/node own setup, tracing on', flags: ['--import', './bench/apps/sentry-own-tracing.mjs'], app: hello, env: { BENCH_SENTRY_DSN: dsn } },
  ];
}

async function start(variant: Variant): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...variant.flags, variant.app], {
    cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...variant.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
  child.stderr!.resume();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const match = out.match(/listening (\d+)/);
    if (match) return { child, port: Number(match[1]) };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`${variant.name} did not start`);
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+)/)![1]) / 1024;
}

async function measure(variant: Variant): Promise<{ rps: number; rss: number }> {
  const { child, port } = await start(variant);
  try {
    await wrk(port, 1, CONNECTIONS); // warm-up: JIT, lazy instrumentation, first exports
    const rps = await wrk(port, seconds, CONNECTIONS);
    return { rps, rss: rssMb(child.pid!) };
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

requireWrk();

const { server, url } = await sink();
const list = variants(url).filter((variant, i) => i === 0 || !only || only.test(variant.name));
const results = new Map<string, { rps: number[]; rss: number[] }>(list.map((v) => [v.name, { rps: [], rss: [] }]));
for (let round = 1; round <= rounds; round += 1) {
  for (const variant of list) {
    const { rps, rss } = await measure(variant);
    results.get(variant.name)!.rps.push(rps);
    results.get(variant.name)!.rss.push(rss);
    console.error(`round ${round}: ${variant.name}: ${Math.round(rps)} req/s, RSS ${rss.toFixed(1)} MB`);
  }
}
server.close();

const bare = median(results.get(list[0]!.name)!.rps);
const bareRss = median(results.get(list[0]!.name)!.rss);
const rows = list.map((variant) => {
  const { rps, rss } = results.get(variant.name)!;
  return `| ${variant.name} | ${Math.round(median(rps))} | ${(median(rps) / bare).toFixed(2)}x | ${median(rss).toFixed(0)} MB | +${(median(rss) - bareRss).toFixed(0)} MB |`;
});
const table = [
  `${machine()}; wrk -t1 -c${CONNECTIONS} -d${seconds}s, median of ${rounds} interleaved rounds.`,
  `Command: \`node bench/http-throughput.ts --seconds ${seconds} --rounds ${rounds}\``,
  '',
  '| variant | req/s | vs bare | RSS after load | vs bare |',
  '|---|---:|---:|---:|---:|',
  ...rows,
].join('\n');
console.log(table);
if (args.includes('--write') && !only) replaceSection('docs/performance.md', 'http-throughput', table);
