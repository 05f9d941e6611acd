// End to end with real processes: each example app runs under the test preload and sends
// spans to a local OTLP/HTTP JSON receiver. Spans are exported only at shutdown (the batch
// delay is a minute), so receiving them proves SIGTERM flushes everything recorded.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './helpers/otlp-receiver.ts';
import { TYPESCRIPT_FLAGS } from './helpers/process.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const preload = fileURLToPath(new URL('./helpers/telemetry-preload.ts', import.meta.url));
const SERVER = 2;
const CLIENT = 3;

let receiver: OtlpReceiver;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(() => receiver.close());

interface RunningApp {
  child: ChildProcess;
  port: number;
  ownPort: number;
  stderr: () => string;
}

async function startApp(app: string, service: string): Promise<RunningApp> {
  const child = spawn(process.execPath, [...TYPESCRIPT_FLAGS, '--import', preload, app], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      TEST_OWN_SERVER: '1',
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '60000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const ports = await new Promise<{ port: number; ownPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${app} did not start: ${out}${err}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const port = /listening on port (\d+)/.exec(out);
      const own = /own server port (\d+)/.exec(out);
      if (port && own) {
        clearTimeout(timer);
        resolve({ port: Number(port[1]), ownPort: Number(own[1]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`${app} exited (${code}) before listening: ${out}${err}`)));
  });
  return { child, ...ports, stderr: () => err };
}

function stop(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.kill('SIGTERM');
  });
}

const ofService = (service: string) => (s: ReceivedSpan) => s.resource['service.name'] === service;

for (const [label, app] of [['ESM', 'examples/express-esm/app.mjs'], ['CommonJS', 'examples/express-cjs/app.cjs']] as const) {
  test(`express ${label}: server, express and fetch client spans in one trace; SIGTERM delivers them`, async () => {
    const service = `express-${label.toLowerCase()}-test`;
    const running = await startApp(app, service);
    const answer = await fetch(`http://127.0.0.1:${running.port}/api/products/42`);
    assert.equal(answer.status, 200);
    assert.equal(((await answer.json()) as { stock: { available: number } }).stock.available, 7);
    const own = await fetch(`http://127.0.0.1:${running.ownPort}/health/live`);
    assert.equal(own.status, 200);
    await own.text();

    assert.deepEqual(await stop(running.child), { code: 0, signal: null }, running.stderr());
    assert.doesNotMatch(running.stderr(), /\[telemetry\]/);
    await receiver.waitFor((spans) => spans.filter(ofService(service)).length >= 5);
    const spans = receiver.spans.filter(ofService(service));

    const product = spans.find((s) => s.kind === SERVER && s.attributes['http.route'] === '/api/products/:id');
    assert.ok(product, `no server span with http.route: ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(product.name, 'GET /api/products/:id');
    const trace = spans.filter((s) => s.traceId === product.traceId);
    const express = trace.filter((s) => s.scope === '@opentelemetry/instrumentation-express');
    assert.ok(express.some((s) => s.attributes['http.route'] === '/api/products/:id'), 'express span for the route');
    const client = trace.find((s) => s.kind === CLIENT && String(s.attributes['url.full']).endsWith('/api/stock/42'));
    assert.ok(client, 'fetch client span in the same trace');
    const stock = trace.find((s) => s.kind === SERVER && s.attributes['http.route'] === '/api/stock/:id');
    assert.ok(stock, 'the called route joins the same trace');
    assert.equal(stock.parentSpanId, client.spanId);

    assert.ok(!spans.some((s) => String(s.attributes['url.path'] ?? '').startsWith('/health')), 'own server requests are not traced');
    assert.equal(product.resource['deployment.environment.name'], 'test');
  });
}

test('plain node:http ES module app: server and client spans in one trace', async () => {
  const service = 'node-http-test';
  const running = await startApp('examples/node-http/app.mjs', service);
  const answer = await fetch(`http://127.0.0.1:${running.port}/api/products/7`);
  assert.equal(answer.status, 200);
  await answer.text();
  assert.deepEqual(await stop(running.child), { code: 0, signal: null });
  await receiver.waitFor((spans) => spans.filter(ofService(service)).length >= 3);
  const spans = receiver.spans.filter(ofService(service));
  const product = spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === '/api/products/7');
  assert.ok(product);
  assert.ok(spans.some((s) => s.kind === CLIENT && s.traceId === product.traceId));
  assert.ok(spans.some((s) => s.kind === SERVER && s.attributes['url.path'] === '/api/stock/7' && s.traceId === product.traceId));
});
