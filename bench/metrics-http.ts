// Cost of the zero-code HTTP request metrics: a hello-world node:http server, bare, with
// the metrics pipeline (diagnostics_channel RED histogram + runtime), and with a manual
// prom-client histogram for comparison. The load comes from a child process (keep-alive,
// 50 concurrent loops); the server's own CPU per request is what matters.
// Run: node bench/metrics-http.ts   (Node 24; never part of npm test)

import { spawn } from 'node:child_process';
import http from 'node:http';
import client from 'prom-client';
import { startMetrics } from '../src/metrics/index.ts';
import { machine, table } from './metrics-harness.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = 50;

const LOADER = `
const http = require('node:http');
const [port, seconds, concurrency] = process.argv.slice(1).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
let done = 0; const end = Date.now() + seconds * 1000;
function loop() {
  if (Date.now() >= end) return;
  http.get({ host: '127.0.0.1', port, path: '/api/products/1', agent }, (res) => {
    res.resume(); res.on('end', () => { done++; loop(); });
  }).on('error', loop);
}
for (let i = 0; i < concurrency; i++) loop();
setTimeout(() => { process.stdout.write(String(done)); agent.destroy(); }, seconds * 1000 + 200);
`;

async function load(port: number): Promise<number> {
  const child = spawn(process.execPath, ['-e', LOADER, String(port), String(SECONDS), String(CONCURRENCY)]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.on('exit', resolve));
  return Number(out);
}

interface Row {
  name: string;
  rps: number;
  cpuUsPerRequest: number;
}

async function run(name: string, handler: http.RequestListener, setup?: (server: http.Server) => () => Promise<void>): Promise<Row> {
  const server = http.createServer({ keepAliveTimeout: 10_000 }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const teardown = setup?.(server);
  const { port } = server.address() as { port: number };
  await load(port); // warm-up round, not counted
  const cpuBefore = process.cpuUsage();
  const requests = await load(port);
  const cpu = process.cpuUsage(cpuBefore);
  await teardown?.();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  return { name, rps: requests / SECONDS, cpuUsPerRequest: (cpu.user + cpu.system) / requests };
}

const hello: http.RequestListener = (_req, res) => res.end('hello');

const bare = await run('bare node:http', hello);
const red = await run('with metrics pipeline (diagnostics_channel RED)', hello, () => {
  const pipeline = startMetrics({ cardinalityLimit: 2000, healthResults: () => [], isOwnServer: () => false });
  return () => pipeline.shutdown();
});
const prom = new client.Registry();
const histogram = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'x',
  labelNames: ['method', 'route', 'status'],
  registers: [prom],
});
const manual = await run('manual prom-client histogram', (req, res) => {
  const end = histogram.startTimer();
  res.on('finish', () => end({ method: req.method, route: '/api/products/:id', status: res.statusCode }));
  res.end('hello');
});

console.log(`# HTTP request metrics overhead (${machine()}, ${SECONDS}s x ${CONCURRENCY} keep-alive connections, loader in a child process)\n`);
console.log(
  table(
    ['server', 'requests/s', 'vs bare', 'server CPU µs/request', 'extra µs/request'],
    [bare, red, manual].map((r) => [
      r.name,
      r.rps.toFixed(0),
      (r.rps / bare.rps).toFixed(2) + 'x',
      r.cpuUsPerRequest.toFixed(1),
      (r.cpuUsPerRequest - bare.cpuUsPerRequest).toFixed(1),
    ]),
  ),
);
