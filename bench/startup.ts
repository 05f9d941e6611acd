// Startup bench: time to user code and time to exit, side by side in one run, for
//   bare node · this package's preload as users run it (register.js: health, metrics; with
//   OTLP traces; with Sentry) · the stock auto-instrumentations register · NodeSDK + http.
// Run: node bench/startup.ts [--runs 9] [--write]   (--write updates docs/performance.md)
// Only 127.0.0.1 is contacted: "collector down" is a closed loopback port, and the stock
// register gets OTEL_NODE_RESOURCE_DETECTORS=env,host,os,process (no cloud probes).

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { machine, replaceSection } from './report.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 9;
const write = args.includes('--write');

// The preload as users run it: the built JavaScript (`npm run build`), not the .ts sources,
// whose type stripping at load would be counted as our cost.
const built = fileURLToPath(new URL('../src/telemetry/index.js', import.meta.url));
if (!existsSync(built) || statSync(built).mtimeMs < statSync(built.replace(/\.js$/, '.ts')).mtimeMs) {
  process.stderr.write('src/telemetry/index.js is missing or older than its .ts: run `npm run build` first\n');
  process.exit(1);
}
const scratch = mkdtempSync(join(tmpdir(), 'startup-bench-'));
const register = fileURLToPath(new URL('../register.js', import.meta.url));
// Baseline: a hand-written NodeSDK preload with only the http instrumentation, no metric
// readers, log processors or resource detectors (JavaScript too, for the same reason).
const nodesdk = join(scratch, 'nodesdk-http.mjs');
writeFileSync(nodesdk, `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(join(root, 'package.json'))});
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const sdk = new NodeSDK({ instrumentations: [new HttpInstrumentation()], metricReaders: [], logRecordProcessors: [], resourceDetectors: [] });
sdk.start();
process.once('SIGTERM', () => void sdk.shutdown().finally(() => process.exit(0)));
`);
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

const port = await closedPort();
const collectorDown = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };

// The preload as `npm start` runs it: health server and metrics on, no Sentry.
const sdkEnv = { ENABLE_METRICS: 'true', OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1' };

interface Variant { name: string; flags: string[]; env: Record<string, string> }
const variants: Variant[] = [
  { name: 'bare', flags: [], env: {} },
  { name: 'this preload: health + metrics', flags: ['--import', register], env: sdkEnv },
  { name: 'this preload: health + metrics + OTLP traces, collector down', flags: ['--import', register], env: { ...sdkEnv, ...collectorDown } },
  { name: 'this preload: health + metrics + Sentry DSN, Sentry down', flags: ['--import', register], env: { ...sdkEnv, SENTRY_DSN: `http://key@127.0.0.1:${port}/1` } },
  {
    name: 'stock auto-instrumentations register',
    flags: ['--require', '@opentelemetry/auto-instrumentations-node/register'],
    env: { ...collectorDown, OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process' },
  },
  { name: 'NodeSDK + http instrumentation', flags: ['--import', nodesdk], env: collectorDown },
];

// User code prints the wall clock (ms since epoch, sub-ms) the moment it starts.
const PRINT_NOW = 'process.stdout.write(String(performance.timeOrigin + performance.now()));';
const probes = [
  { name: 'node -e 0', code: PRINT_NOW },
  { name: "require('express')", code: `${PRINT_NOW} require('express');` },
];

interface Sample { toUser: number; toExit: number }

function once(variant: Variant, code: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.timeOrigin + performance.now();
    const child = spawn(process.execPath, [...variant.flags, '-e', code], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...variant.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('exit', (status) => {
      const ended = performance.timeOrigin + performance.now();
      const atUser = Number.parseFloat(out);
      if (status !== 0 || !Number.isFinite(atUser)) reject(new Error(`${variant.name}: exit ${status}: ${err}`));
      else resolve({ toUser: atUser - started, toExit: ended - started });
    });
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Row { probe: string; variant: string; toUser: number; toExit: number }
const rows: Row[] = [];
for (const probe of probes) {
  // Interleaved (round-robin) so machine noise hits every variant alike.
  const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
  for (const variant of variants) await once(variant, probe.code); // warm the file cache
  for (let i = 0; i < runs; i++) {
    for (const variant of variants) samples.get(variant.name)!.push(await once(variant, probe.code));
  }
  for (const variant of variants) {
    const list = samples.get(variant.name)!;
    rows.push({ probe: probe.name, variant: variant.name, toUser: median(list.map((s) => s.toUser)), toExit: median(list.map((s) => s.toExit)) });
  }
}

const table = render(rows);
process.stdout.write(`${table}\n`);
if (write) replaceSection('docs/performance.md', 'startup', document(table));

function render(all: Row[]): string {
  const lines = [
    '| user code | variant | to user code (ms) | vs bare | to exit (ms) | vs bare |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const row of all) {
    const bare = all.find((r) => r.probe === row.probe && r.variant === 'bare')!;
    lines.push(`| \`${row.probe}\` | ${row.variant} | ${row.toUser.toFixed(0)} | ${delta(row.toUser, bare.toUser)} | ` +
      `${row.toExit.toFixed(0)} | ${delta(row.toExit, bare.toExit)} |`);
  }
  return lines.join('\n');
}

function delta(value: number, bare: number): string {
  if (value === bare) return '—';
  const diff = value - bare;
  return `${diff < 0 ? '−' : '+'}${Math.abs(diff).toFixed(0)} (${(value / bare).toFixed(1)}x)`;
}

function document(body: string): string {
  return `${machine()}; median of ${runs} interleaved runs per variant after one warm-up each.
Command: \`node bench/startup.ts --runs ${runs} --write\`

${body}`;
}
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return free;
}
