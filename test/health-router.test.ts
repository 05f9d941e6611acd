import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { afterEach, beforeEach, describe, it } from 'node:test';
import express from 'express';
import { healthRegistry, healthRouter, initObservability, shutdownObservability } from '../src/index.ts';
import { listen, request } from './helpers/http.ts';
import { REGISTER, startNode } from './helpers/process.ts';

describe('healthRouter on the app\'s own server', () => {
  let server: Server | undefined;
  beforeEach(() => healthRegistry.clear());
  afterEach(() => server?.close());

  it('serves the endpoints from an express app and leaves other routes to it', async () => {
    healthRegistry.register('database', () => ({ status: 'healthy', message: 'Connection OK' }));
    const app = express();
    app.use(healthRouter);
    app.get('/api/products', (_req, res) => { res.json([{ id: 1 }]); });
    server = createServer(app);
    const url = await listen(server);
    const health = await request(`${url}/health`);
    assert.equal(health.status, 200);
    assert.equal((health.json() as { checks: { name: string }[] }).checks[0]?.name, 'database');
    assert.deepEqual((await request(`${url}/health/live`)).json(), { status: 'alive' });
    assert.deepEqual((await request(`${url}/health/ready`)).json(), { status: 'ready', health: 'healthy' });
    assert.deepEqual((await request(`${url}/api/products`)).json(), [{ id: 1 }]);
    assert.equal((await request(`${url}/health/ready`, { method: 'DELETE' })).status, 405);
  });

  it('works mounted under a prefix in express', async () => {
    const app = express();
    app.use('/ops', healthRouter);
    server = createServer(app);
    const url = await listen(server);
    assert.deepEqual((await request(`${url}/ops/health/live`)).json(), { status: 'alive' });
  });

  it('serves a plain node:http server, with a fallback for its own routes', async () => {
    server = createServer((req, res) => healthRouter(req, res, () => {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('app');
    }));
    const url = await listen(server);
    assert.deepEqual((await request(`${url}/health/live`)).json(), { status: 'alive' });
    assert.equal((await request(`${url}/`)).text, 'app');
  });

  it('answers 404 for unknown paths when there is no next handler', async () => {
    server = createServer((req, res) => healthRouter(req, res));
    const url = await listen(server);
    assert.equal((await request(`${url}/elsewhere`)).status, 404);
  });
});

// Readiness turned ready only when the built-in server had started: with the server off
// (the setup docs recommend for one port) a pod never became ready.
describe('readiness with the built-in server off, healthRouter on the app', () => {
  it('initObservability({ startServer: false }): /health/ready is 200 once started', async () => {
    healthRegistry.clear();
    const started = await initObservability({ startServer: false });
    const server = createServer((req, res) => healthRouter(req, res, () => res.writeHead(404).end()));
    try {
      assert.equal(started.server, undefined);
      const url = await listen(server);
      const ready = await request(`${url}/health/ready`);
      assert.deepEqual([ready.status, ready.json()], [200, { status: 'ready', health: 'healthy' }]);
    } finally {
      server.close();
      await shutdownObservability();
    }
  });

  it('the preload with OBSERVABILITY_SERVER=false: the app\'s /health/ready is 200 at once', async () => {
    const child = startNode(['--import', REGISTER, 'test/fixtures/frameworks-app.mjs'], {
      FRAMEWORK: 'express', OBSERVABILITY_SERVER: 'false',
    });
    try {
      const [, port] = await child.waitFor(/listening on port (\d+)/);
      const ready = await request(`http://127.0.0.1:${port}/health/ready`);
      assert.deepEqual([ready.status, ready.json()], [200, { status: 'ready', health: 'healthy' }]);
      assert.doesNotMatch(child.stderr(), /serving \/health/, 'the built-in server is off');
    } finally {
      child.kill();
    }
  });
});
