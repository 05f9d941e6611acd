// http_route for express 5 without tracing: the route comes from the templates the app
// registered, through mounted, nested and parameterised routers, never from the URL
// (issue 16, defect 7). Real express, real HTTP, the real /metrics.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startMetrics } from '../src/metrics/index.ts';
import { pipelineOptions } from './helpers/metrics-pipeline.ts';
import { parseExposition, type Sample } from './helpers/scrape.ts';

type Handler = (req: { params: Record<string, string> }, res: { status(c: number): { json(b: unknown): void }; json(b: unknown): void }, next: () => void) => void;
interface Router {
  (...args: unknown[]): void;
  get(path: unknown, ...handlers: Handler[]): Router;
  use(...args: unknown[]): Router;
}
interface Express {
  (): Router;
  Router(options?: { mergeParams?: boolean }): Router;
}

const COUNT = 'http_server_request_duration_seconds_count';

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const params: Handler = (req, res) => res.json(req.params);

/** The app of the issue and every way express composes paths. */
function buildApp(express: Express): Router {
  const app = express();

  const users = express.Router();
  users.get('/orders', params);
  const lines = express.Router({ mergeParams: true });
  lines.get('/lines/:lid', params);
  users.use('/orders/:oid', lines); // nested and parameterised, with mergeParams
  app.use('/users/:uid', users);

  const shop = express.Router();
  shop.get('/items/:id', params);
  app.use('/shops/:sid', shop); // one router mounted twice
  app.use('/outlets/:oid', shop);

  app.get(/^\/files\/(.+)$/, params); // a RegExp route
  app.get(['/a/:x', '/b/:y'], params); // an array of paths
  const versioned = express.Router();
  versioned.get('/ping', params);
  app.use(['/v1/:ver', '/v2'], versioned); // an array of mount paths

  const admin = express(); // a sub-app on a parameterised path
  admin.get('/projects/:pid', params);
  app.use('/orgs/:org', admin);

  const passing = express.Router();
  passing.get('/skip', (_req, _res, next) => next()); // passes on: express' 404 answers
  app.use('/pass/:p', passing);

  app.get('/products/:id', params);
  return app;
}

/** Request path -> the route its series must carry. */
const EXPECTED: [string, string, number][] = [
  ['/users/u1/orders', '/users/:uid/orders', 200],
  ['/users/u2/orders', '/users/:uid/orders', 200],
  ['/users/u3/orders/o9/lines/l4', '/users/:uid/orders/:oid/lines/:lid', 200],
  ['/shops/s1/items/7', '/shops/:sid/items/:id', 200],
  ['/outlets/o1/items/8', '/outlets/:oid/items/:id', 200],
  ['/files/report.pdf', String(/^\/files\/(.+)$/), 200],
  ['/b/2', '/a/:x,/b/:y', 200],
  ['/v1/3/ping', '/v1/:ver,/v2/ping', 200],
  ['/v2/ping', '/v1/:ver,/v2/ping', 200],
  ['/orgs/acme/projects/p5', '/orgs/:org/projects/:pid', 200],
  ['/pass/p1/skip', '', 404],
  ['/nowhere/42', '', 404],
  ['/products/12', '/products/:id', 200],
];

describe('http_route for express 5 (no tracing): templates, never raw paths', () => {
  let server: http.Server;
  let own: http.Server;
  let pipeline: ReturnType<typeof startMetrics>;
  let url: string;
  let samples: Sample[];
  let text: string;

  before(async () => {
    const express = ((await import('express' as string)) as { default: Express }).default;
    own = http.createServer((req, res) => void pipeline.handle(req, res));
    pipeline = startMetrics(pipelineOptions(own));
    const metricsUrl = await listen(own);
    server = http.createServer(buildApp(express) as unknown as http.RequestListener);
    url = await listen(server);
    for (const [path] of EXPECTED) await (await fetch(url + path)).text();
    // The shape: many users on one mounted, parameterised router.
    for (let i = 0; i < 60; i++) await (await fetch(`${url}/users/u${1000 + i}/orders`)).text();
    text = await (await fetch(`${metricsUrl}/metrics`)).text();
    samples = parseExposition(text).samples.filter((s) => s.name === COUNT);
  });

  after(async () => {
    await closeServer(server);
    await pipeline.shutdown();
    await closeServer(own);
  });

  for (const [path, route, status] of EXPECTED) {
    test(`${path} -> http_route=${JSON.stringify(route)}`, () => {
      const series = samples.filter((s) => s.labels.http_route === route && s.labels.http_response_status_code === String(status));
      assert.equal(series.length, 1, `one series for ${route} ${status}: ${JSON.stringify(samples)}`);
    });
  }

  test('62 requests for 62 users are one series; no id from a URL is in any label', () => {
    const users = samples.find((s) => s.labels.http_route === '/users/:uid/orders');
    assert.equal(users?.value, 62);
    for (const s of samples) {
      assert.doesNotMatch(s.labels.http_route ?? '', /u\d|o9|s1|o1|acme|p1|\/12$|nowhere|report/, JSON.stringify(s.labels));
    }
    const total = samples.reduce((sum, s) => sum + s.value, 0);
    assert.equal(total, EXPECTED.length + 60, 'every request counted once');
  });
});
