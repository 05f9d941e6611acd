// Load on the built-in server: /health, /health/ready, /health/live and /metrics under
// 200 concurrent keep-alive connections (four wrk processes, one per path, 50 connections
// each) for 30 s, with metrics on and a health check that hangs until its 500 ms deadline
// aborts it. Reports per-path p50/p99/max latency, how often the checks ran against the
// cache windows, and the app's RSS at start, middle and end.
// Run: node bench/reliability-load.ts [--seconds 30] [--connections 200] [--write]
//      node bench/reliability-load.ts --smoke   (a few requests, no wrk: checks the plumbing)
// Needs the build (npm run build) and wrk (Debian: apt-get install wrk). 127.0.0.1 only.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machine, replaceSection } from './report.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const SMOKE = args.includes('--smoke');
const WRITE = args.includes('--write');
const SECONDS = option('--seconds', 30);
const CONNECTIONS = option('--connections', 200);
const PATHS = ['/health', '/health/ready', '/health/live', '/metrics'] as const;
const CHECK_TIMEOUT_MS = 500;
const CACHE_TTL_MS = 1_000; // the default HEALTH_CACHE_TTL_MS, set explicitly

interface Stats { now: number; calls: { hangs: number; counter: number }; minGapMs: number | null; rss: number; heapUsed: number }
interface WrkResult { path: string; requests: number; rps: number; p50: number; p99: number; max: number; non2xx: number; socketErrors: string }

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function rssOf(pid: number): number {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return match ? Number(match[1]) * 1024 : NaN;
}

/** wrk's "1.23ms" / "456.78us" / "1.20s" to milliseconds. */
function ms(text: string): number {
  const match = text.match(/^([\d.]+)(us|ms|s|m)$/);
  if (!match) return NaN;
  const value = Number(match[1]);
  return { us: value / 1000, ms: value, s: value * 1000, m: value * 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm'];
}

function parseWrk(path: string, output: string): WrkResult {
  const pick = (pattern: RegExp) => output.match(pattern)?.[1] ?? '';
  return {
    path,
    requests: Number(pick(/(\d+) requests in/)),
    rps: Number(pick(/Requests\/sec:\s+([\d.]+)/)),
    p50: ms(pick(/^\s+50%\s+(\S+)/m)),
    p99: ms(pick(/^\s+99%\s+(\S+)/m)),
    max: ms(pick(/^\s+Latency\s+\S+\s+\S+\s+(\S+)/m)),
    non2xx: Number(pick(/Non-2xx or 3xx responses: (\d+)/) || 0),
    socketErrors: pick(/Socket errors: ([^\n]+)/) || 'none',
  };
}

function runWrk(url: string, connections: number, seconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const wrk = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '--latency', url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    wrk.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
    wrk.on('error', reject);
    wrk.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}: ${out}`))));
  });
}

async function main(): Promise<void> {
  if (!existsSync(`${root}register.js`)) throw new Error('build first: npm run build');
  const app = spawn(process.execPath, ['--import', './register.js', 'test/fixtures/reliability-load-app.mjs'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      ENABLE_METRICS: 'true',
      OBSERVABILITY_PORT: '0',
      OBSERVABILITY_HOST: '127.0.0.1',
      HEALTH_CACHE_TTL_MS: String(CACHE_TTL_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  app.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
  app.stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
  try {
    const deadline = Date.now() + 15_000;
    while (!(/port (\d+)/.test(out) && /serving \/health[^\n]*:(\d+)\n/.test(err))) {
      if (Date.now() > deadline || app.exitCode !== null) throw new Error(`the app did not start\n${out}\n${err}`);
      await pause(20);
    }
    const appPort = out.match(/port (\d+)/)![1];
    const base = `http://127.0.0.1:${err.match(/serving \/health[^\n]*:(\d+)\n/)![1]}`;
    const stats = async (since = 0) => (await (await fetch(`http://127.0.0.1:${appPort}/stats?since=${since}`)).json()) as Stats;

    // Warm up: every path once, then wait out the first run so the load starts on a settled cache.
    for (const path of PATHS) await (await fetch(`${base}${path}`)).text();
    await pause(CACHE_TTL_MS + CHECK_TIMEOUT_MS + 200);

    if (SMOKE) {
      for (const path of PATHS) {
        const response = await fetch(`${base}${path}`);
        console.log(path, response.status, (await response.text()).length, 'bytes');
      }
      console.log(await stats());
      return;
    }

    const start = await stats();
    const rssSamples: { t: number; rss: number }[] = [];
    const started = performance.now();
    const sampler = setInterval(() => rssSamples.push({ t: (performance.now() - started) / 1000, rss: rssOf(app.pid!) }), 1_000);
    rssSamples.push({ t: 0, rss: rssOf(app.pid!) });
    const perPath = Math.floor(CONNECTIONS / PATHS.length);
    const loads = PATHS.map((path) => runWrk(`${base}${path}`, perPath, SECONDS).then((output) => parseWrk(path, output)));
    await pause((SECONDS * 1000) / 2);
    const middle = await stats();
    const results = await Promise.all(loads);
    clearInterval(sampler);
    const end = await stats(start.now);
    const loadSeconds = (performance.now() - started) / 1000;
    await pause(2_000);
    const idle = rssOf(app.pid!);

    const runs = end.calls.counter - start.calls.counter;
    const hangCalls = end.calls.hangs - start.calls.hangs;
    const windows = Math.floor((loadSeconds * 1000) / CACHE_TTL_MS);
    const cycles = Math.floor((loadSeconds * 1000) / (CACHE_TTL_MS + CHECK_TIMEOUT_MS));
    const rssValues = rssSamples.map((s) => s.rss);
    const lines = [
      `Machine: ${machine()}. wrk ${spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.match(/wrk (\S+)/)?.[1] ?? '?'} on the same machine (loopback).`,
      `Command: \`node bench/reliability-load.ts --seconds ${SECONDS} --connections ${CONNECTIONS}\` (after \`npm run build\`);`
      + ` ${PATHS.length} wrk processes (-t1 -c${perPath} --latency), one per path, ${perPath * PATHS.length} keep-alive connections in all, ${SECONDS} s.`,
      `App: \`node --import ./register.js test/fixtures/reliability-load-app.mjs\`, ENABLE_METRICS=true, HEALTH_CACHE_TTL_MS=${CACHE_TTL_MS},`
      + ` checks: \`hangs\` (never answers, aborted at timeoutMs ${CHECK_TIMEOUT_MS}, critical: false) and \`counter\` (answers at once).`,
      '',
      '| path | requests | req/s | p50 | p99 | max | non-2xx | socket errors |',
      '|---|---:|---:|---:|---:|---:|---:|---|',
      ...results.map((r) => `| \`${r.path}\` | ${r.requests} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.max.toFixed(2)} ms | ${r.non2xx} | ${r.socketErrors} |`),
      '',
      `Health runs during the load: the \`counter\` check ran ${runs} times and the \`hangs\` check was called ${hangCalls} times in ${loadSeconds.toFixed(1)} s:`
      + ` ${windows} cache windows of ${CACHE_TTL_MS} ms, or ${cycles} if every run lasts the ${CHECK_TIMEOUT_MS} ms deadline before its result is cached;`
      + ` shortest gap between two runs ${end.minGapMs === null ? 'n/a' : `${Math.round(end.minGapMs)} ms`}.`,
      '',
      `RSS of the app: start ${mib(rssValues[0]!)}, middle ${mib(rssSamples[Math.floor(rssSamples.length / 2)]!.rss)},`
      + ` end ${mib(rssValues.at(-1)!)}, max ${mib(Math.max(...rssValues))}, 2 s after the load ${mib(idle)}`
      + ` (heap used: start ${mib(start.heapUsed)}, middle ${mib(middle.heapUsed)}, end ${mib(end.heapUsed)}).`,
    ];
    console.log(lines.join('\n'));
    console.log(`\nRSS samples (s: MiB): ${rssSamples.map((s) => `${s.t.toFixed(0)}: ${(s.rss / 2 ** 20).toFixed(1)}`).join(', ')}`);
    if (WRITE) replaceSection('docs/reliability.md', 'reliability-load', lines.join('\n'));
  } finally {
    app.kill('SIGKILL');
  }
}

await main();
