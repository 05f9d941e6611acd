// SERVER spans from the http.server.request.start channel (src/telemetry/http-server-spans.ts):
// the context entered before the handler must reach the handler's async continuations and
// callback-style body listeners, and never leak into another request on the same
// keep-alive or pipelined connection. A real app under the test preload, spans to a local
// OTLP/JSON receiver that keeps what the shared helper drops (status, scope version).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startNode, TYPESCRIPT_FLAGS, type Child } from './helpers/process.ts';

const preload = fileURLToPath(new URL('./helpers/telemetry-preload.ts', import.meta.url));

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number };
  attributes: Record<string, unknown>;
  scope: string;
}

// Each request: a span after a timer (async continuation), one from the response's 'finish'
// listener, and for POST one from the body's 'end' listener (callbacks run by the socket
// and the parser, not by the handler: on Node 24 they lose an entered context unless the
// emitters are bound). ?delay=ms holds the
// response so that a pipelined request behind it is handled while it is pending.
const APP = `
const http = require('node:http');
const { trace } = require('@opentelemetry/api');
const tracer = trace.getTracer('fast-test');
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const path = url.pathname;
  if (path === '/fail') { res.statusCode = 503; res.end(); return; }
  res.on('finish', () => tracer.startSpan('finish ' + path).end());
  setTimeout(() => {
    tracer.startSpan('later ' + path).end();
    if (req.method !== 'POST') { res.end('ok ' + path); return; }
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => { tracer.startSpan('body ' + path).end(); res.end('got ' + body); });
  }, Number(url.searchParams.get('delay') ?? 0));
});
server.listen(0, '127.0.0.1', () => console.log('listening on port ' + server.address().port));
`;

let receiver: Server;
let endpoint: string;
const spans: Span[] = [];
let app: Child;
let port: number;

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; });
    req.on('end', () => {
      type KeyValue = { key: string; value: Record<string, unknown> };
      const parsed = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ scope: { name: string }; spans: Array<Omit<Span, 'attributes' | 'scope'> & { attributes?: KeyValue[] }> }> }> };
      for (const rs of parsed.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) {
        const attributes = Object.fromEntries((s.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
        spans.push({ ...s, attributes, scope: ss.scope.name });
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  }).listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  app = startNode([...TYPESCRIPT_FLAGS, '--import', preload, '-e', APP], {
    OTEL_SERVICE_NAME: 'fast-server-spans',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '60000',
  });
  port = Number((await app.waitFor(/listening on port (\d+)/))[1]);
});

after(async () => {
  app.kill();
  receiver.close();
});

/** Writes `chunks` to one connection (pause between them) and resolves once `responses` responses arrived. */
async function raw(chunks: string[], responses: number): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; });
  for (const chunk of chunks) {
    socket.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  while ((text.match(/HTTP\/1\.1 /g) ?? []).length < responses || !/(ok|got) \S*$|\r\n\r\n$/.test(text)) {
    await once(socket, 'data');
  }
  socket.destroy();
  return text;
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}\r\n`;

test('server spans: context per request on keep-alive and pipelined connections, body listeners included', async () => {
  // Pipelined in one write: /slow is still pending when /fast is handled.
  await raw([get('/slow?delay=50') + get('/fast')], 2);
  // Keep-alive: requests one after another on one connection.
  await raw([get('/one'), get('/two?Signature=secret&a=1')], 2);
  // A POST whose body comes in a later packet, on a fresh connection.
  await raw([`POST /post HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 5\r\n\r\n`, 'hello'], 1);
  await raw([get('/fail')], 1);
  const parent = '0af7651916cd43dd8448eb211c80319c';
  await raw([get('/remote', `traceparent: 00-${parent}-b7ad6b7169203331-01\r\n`)], 1);

  app.process.kill('SIGTERM');
  assert.equal((await app.exited()).code, 0, app.stderr());
  const deadline = Date.now() + 5_000;
  while (spans.filter((s) => s.kind === 2).length < 7 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

  const server = (path: string) => {
    const found = spans.filter((s) => s.kind === 2 && s.attributes['url.path'] === path);
    assert.equal(found.length, 1, `one server span for ${path}: ${spans.map((s) => s.name).join(', ')}`);
    return found[0]!;
  };
  const traces = new Set<string>();
  for (const path of ['/slow', '/fast', '/one', '/two', '/post', '/remote']) {
    const span = server(path);
    assert.equal(span.scope, '@opentelemetry/instrumentation-http');
    assert.equal(span.name, path === '/post' ? 'POST' : 'GET');
    assert.equal(span.attributes['http.response.status_code'], 200);
    assert.equal(span.attributes['url.scheme'], 'http');
    assert.equal(span.attributes['server.address'], '127.0.0.1');
    assert.equal(span.attributes['server.port'], port);
    assert.equal(span.attributes['network.protocol.version'], '1.1');
    traces.add(span.traceId);
    const later = spans.find((s) => s.name === `later ${path}`);
    assert.ok(later, `span after a timer in ${path}`);
    assert.equal(later.traceId, span.traceId, `${path}: the timer callback sees its own request`);
    assert.equal(later.parentSpanId, span.spanId);
    const finish = spans.find((s) => s.name === `finish ${path}`);
    assert.equal(finish?.parentSpanId, span.spanId, `${path}: the response's finish listener sees its request`);
  }
  assert.equal(traces.size, 6, 'every request is its own trace');
  const body = spans.find((s) => s.name === 'body /post');
  assert.ok(body, 'span from the body end listener');
  assert.equal(body.parentSpanId, server('/post').spanId);
  assert.equal(server('/two').attributes['url.query'], 'Signature=REDACTED&a=1');
  assert.equal(server('/remote').traceId, parent);
  assert.equal(server('/remote').parentSpanId, 'b7ad6b7169203331');

  const fail = server('/fail');
  assert.equal(fail.attributes['http.response.status_code'], 503);
  assert.equal(fail.attributes['error.type'], '503');
  assert.equal(fail.status?.code, 2);
});
