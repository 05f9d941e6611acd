// Hostile HTTP against the built-in server over raw sockets: malformed request lines,
// huge headers, slowloris, pipelined floods, absurd paths, invalid methods, bodies on
// GET, HTTP/1.0, early disconnects. The server must never crash or hang, must answer
// the next good request, and must not grow without bound.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { healthRegistry, initObservability, shutdownObservability } from '../src/index.ts';

let port = 0;

/** Sends raw bytes, then collects what comes back until the server closes or `waitMs` passes. */
function raw(payload: string | Buffer | (string | Buffer)[], { waitMs = 1_000, endAfterWrite = false } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const done = () => { socket.destroy(); resolve(received); };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (chunk) => { received += chunk.toString('latin1'); });
    socket.on('error', () => {});
    socket.on('close', () => { clearTimeout(timer); resolve(received); });
    socket.on('connect', () => {
      for (const part of [payload].flat()) socket.write(part);
      if (endAfterWrite) socket.end();
    });
  });
}

const statusOf = (reply: string) => Number(reply.match(/^HTTP\/1\.[01] (\d{3})/)?.[1] ?? 0);
const statuses = (reply: string) => [...reply.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));

async function stillServing(): Promise<void> {
  const reply = await raw('GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(statusOf(reply), 200, `a good request after the hostile ones: ${reply.slice(0, 80)}`);
}

interface Case { name: string; payload: string | Buffer | (string | Buffer)[]; expect?: (reply: string) => void; endAfterWrite?: boolean }

function generatedCases(): Case[] {
  const cases: Case[] = [];
  const paths = ['/health', '/health/live', '/health/ready', '/health/tools', '/metrics', '/', '/nope'];
  // Malformed request lines.
  const requestLines = ['GARBAGE', 'GET', 'GET /health', 'GET /health HTTP/9.9', 'GET /health HTTP/1.1 extra', ' GET /health HTTP/1.1',
    'GET  /health HTTP/1.1', 'GET /health HTTP/1', 'GET /health HTTP/1.1\n', 'GET\t/health\tHTTP/1.1', '\x00\x01\x02', 'GET /\x00 HTTP/1.1',
    'GET http://evil.example/health HTTP/1.1', 'CONNECT 127.0.0.1:22 HTTP/1.1', 'PRI * HTTP/2.0'];
  for (const line of requestLines) cases.push({ name: `request line ${JSON.stringify(line)}`, payload: `${line}\r\nHost: x\r\n\r\n` });
  // Invalid and unusual methods, on every path.
  for (const method of ['FOO', 'get', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'TRACE', 'G\x7fT', 'POST']) {
    for (const path of paths) {
      cases.push({
        name: `${JSON.stringify(method)} ${path}`,
        payload: `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        expect: (reply) => {
          const status = statusOf(reply);
          assert.ok([400, 404, 405].includes(status), `${method} ${path} -> ${status}`);
          if (status === 405) assert.match(reply, /Allow: GET, HEAD/i);
        },
      });
    }
  }
  // Absurd paths and query strings.
  const absurd = ['/health/../health', '//health', '/health/', '/%00', '/health%2F', '/héalth', '/health?' + 'a'.repeat(8_000),
    '/' + 'x'.repeat(12_000), '/health?%%%', '/health#frag', '/health;jsessionid=1', '/.env', '/../../etc/passwd', '*',
    '/health/ready/../../metrics', '/HEALTH', '/health\u2028', '/health?q=' + '%F0%9F%92%A9'.repeat(100)];
  for (const path of absurd) {
    cases.push({
      name: `path ${JSON.stringify(path.slice(0, 40))}`,
      payload: Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 'utf8'),
      expect: (reply) => assert.ok([200, 400, 404, 414, 431].includes(statusOf(reply)), `${path.slice(0, 40)} -> ${statusOf(reply)}`),
    });
  }
  // Huge and numerous headers.
  for (const size of [1_000, 8_000, 15_000, 17_000, 64_000, 1_000_000]) {
    cases.push({
      name: `one header of ${size} bytes`,
      payload: `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(size)}\r\nConnection: close\r\n\r\n`,
      expect: (reply) => assert.equal(statusOf(reply), size > 16_000 ? 431 : 200),
    });
  }
  for (const count of [100, 1_000, 5_000]) {
    cases.push({
      name: `${count} headers`,
      payload: `GET /health/live HTTP/1.1\r\nHost: x\r\n${'X-A: b\r\n'.repeat(count)}Connection: close\r\n\r\n`,
      expect: (reply) => assert.ok([200, 431].includes(statusOf(reply))),
    });
  }
  // Bodies on GET, lying Content-Length, chunked nonsense.
  const bodies = [
    'Content-Length: 5\r\n\r\nhello', 'Content-Length: 100\r\n\r\nshort', 'Content-Length: -1\r\n\r\n', 'Content-Length: abc\r\n\r\n',
    'Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', 'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    'Transfer-Encoding: chunked\r\n\r\nzz\r\n', 'Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
    `Content-Length: 1000000\r\n\r\n${'x'.repeat(100_000)}`,
  ];
  for (const body of bodies) {
    for (const path of ['/health', '/health/ready', '/metrics']) {
      cases.push({ name: `GET ${path} with ${JSON.stringify(body.slice(0, 30))}`, payload: `GET ${path} HTTP/1.1\r\nHost: x\r\n${body}` });
    }
  }
  // HTTP/1.0, with and without keep-alive, and without Host.
  for (const path of paths) {
    cases.push({ name: `HTTP/1.0 ${path}`, payload: `GET ${path} HTTP/1.0\r\n\r\n`, expect: (reply) => assert.ok(statusOf(reply) > 0) });
    cases.push({ name: `HTTP/1.0 keep-alive ${path}`, payload: `GET ${path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n` });
    cases.push({ name: `HTTP/1.1 without Host ${path}`, payload: `GET ${path} HTTP/1.1\r\nConnection: close\r\n\r\n`,
      expect: (reply) => assert.equal(statusOf(reply), 400) });
  }
  // Pipelined floods.
  for (const count of [10, 100, 500]) {
    cases.push({
      name: `${count} pipelined requests`,
      payload: 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(count - 1) + 'GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      expect: (reply) => {
        const got = statuses(reply);
        assert.equal(got.length, count);
        assert.ok(got.every((s) => s === 200));
      },
    });
  }
  // Early disconnects at every stage.
  const full = 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n';
  for (let cut = 1; cut < full.length; cut += 3) {
    cases.push({ name: `disconnect after ${cut} bytes`, payload: full.slice(0, cut), endAfterWrite: true });
  }
  // Random bytes.
  let seed = 42;
  const random = () => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed; };
  for (let i = 0; i < 40; i += 1) {
    const bytes = Buffer.alloc(16 + (random() % 512));
    for (let j = 0; j < bytes.length; j += 1) bytes[j] = random() % 256;
    cases.push({ name: `random bytes #${i}`, payload: bytes, endAfterWrite: true });
  }
  return cases;
}

describe('the built-in server under hostile HTTP', () => {
  before(async () => {
    healthRegistry.clear();
    healthRegistry.register('db', () => ({ status: 'healthy' }));
    const { server } = await initObservability({ port: 0, host: '127.0.0.1', env: {} });
    port = server!.port;
  });
  after(() => shutdownObservability());

  const cases = generatedCases();

  it(`has at least 200 generated cases (${cases.length})`, () => {
    assert.ok(cases.length >= 200);
  });

  it('survives every case, answers as expected, and still serves after each batch', async () => {
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i += 25) {
      await Promise.all(cases.slice(i, i + 25).map(async (c) => {
        const reply = await raw(c.payload, { endAfterWrite: c.endAfterWrite });
        try {
          c.expect?.(reply);
        } catch (error) {
          failures.push(`${c.name}: ${(error as Error).message}`);
        }
      }));
      await stillServing();
    }
    assert.deepEqual(failures, []);
  });

  it('never reflects request input into a response', async () => {
    const marker = 'INJECTED<script>';
    for (const payload of [
      `GET /${marker} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `DELETE /health HTTP/1.1\r\nHost: ${marker}\r\nX-Forwarded-For: ${marker}\r\nConnection: close\r\n\r\n`,
      `GET /health?${marker} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    ]) {
      const reply = await raw(payload);
      assert.ok(statusOf(reply) > 0);
      assert.ok(!reply.includes(marker), reply);
    }
  });

  it('cuts off a slowloris client that trickles its headers, while serving others', async () => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let closed = false;
    let reply = '';
    socket.on('data', (chunk) => { reply += chunk.toString('latin1'); });
    socket.on('close', () => { closed = true; });
    await new Promise((resolve) => socket.on('connect', resolve));
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => { if (!closed) socket.write('X-Slow: y\r\n'); }, 500);
    try {
      await stillServing();
      // headersTimeout is 5 s, enforced every second: well within 10 s the server gives up on it.
      const deadline = Date.now() + 10_000;
      while (!closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(closed, 'the slowloris connection is closed by the server');
      assert.equal(statusOf(reply), 408);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
    await stillServing();
  });

  it('keeps memory bounded across a second round of every case', async () => {
    const heap = () => process.memoryUsage().heapUsed;
    const round = async () => {
      for (let i = 0; i < cases.length; i += 25) {
        await Promise.all(cases.slice(i, i + 25).map((c) => raw(c.payload, { endAfterWrite: c.endAfterWrite, waitMs: 300 })));
      }
    };
    await round();
    const before = heap();
    await round();
    const grown = heap() - before;
    assert.ok(grown < 64 * 2 ** 20, `heap grew by ${(grown / 2 ** 20).toFixed(1)} MiB over ${cases.length} hostile requests`);
    await stillServing();
  });
});
