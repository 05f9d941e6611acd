import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { healthRegistry, initObservability, shutdownObservability } from '../src/index.ts';
import { drainAndShutdown } from '../src/observability.ts';
import { baseUrl, request } from './helpers/http.ts';
import { captureStderr } from './helpers/stderr.ts';

const never = () => new Promise<never>(() => {});

async function start(options: Parameters<typeof initObservability>[0] = {}) {
  // Without the built-in event-loop check: these tests are about the checks they register,
  // and a noisy machine must not degrade them (test/health-event-loop.test.ts covers it).
  const { server } = await initObservability({ port: 0, host: '127.0.0.1', env: {}, eventLoopDelayThresholdMs: 0, ...options });
  return baseUrl(server);
}

describe('the built-in server', () => {
  beforeEach(() => healthRegistry.clear());
  afterEach(() => shutdownObservability());

  it('GET /health serves the spec report in snake_case', async () => {
    healthRegistry.register('database', () => ({ status: 'healthy', message: 'Connection OK' }));
    const url = await start();
    const reply = await request(`${url}/health`);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(reply.headers.get('cache-control'), 'no-store');
    const body = reply.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['status', 'timestamp', 'checks']);
    assert.equal(body.status, 'healthy');
    const [check] = body.checks as Record<string, unknown>[];
    assert.deepEqual(Object.keys(check!).sort(), ['checked_at', 'details', 'latency_ms', 'message', 'name', 'status']);
    assert.equal(check!.message, 'Connection OK');
  });

  it('answers 200 on /health even when a check is unhealthy (spec: check the body)', async () => {
    healthRegistry.register('db', () => { throw new Error('ECONNREFUSED 10.0.0.5:5432'); });
    const url = await start();
    const reply = await request(`${url}/health`);
    assert.equal(reply.status, 200);
    const body = reply.json() as { status: string; checks: { message: string }[] };
    assert.equal(body.status, 'unhealthy');
    assert.equal(body.checks[0]?.message, 'ECONNREFUSED 10.0.0.5:5432');
  });

  it('/health/live is 200 alive and ignores readiness checks', async () => {
    healthRegistry.register('db', () => ({ status: 'unhealthy' }));
    const url = await start();
    const reply = await request(`${url}/health/live`);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), { status: 'alive' });
  });

  it('/health/live is 503 when a liveness check fails', async () => {
    healthRegistry.register('event-loop', () => ({ status: 'unhealthy' }), { probes: ['liveness'] });
    const url = await start();
    const reply = await request(`${url}/health/live`);
    assert.equal(reply.status, 503);
    assert.deepEqual(reply.json(), { status: 'not_alive', health: 'unhealthy' });
  });

  it('/health/ready is 200 when healthy or only degraded, 503 when unhealthy', async () => {
    let status: 'healthy' | 'degraded' | 'unhealthy' = 'healthy';
    healthRegistry.register('db', () => ({ status }));
    const url = await start({ healthCacheTtlMs: 0 });
    assert.deepEqual((await request(`${url}/health/ready`)).json(), { status: 'ready', health: 'healthy' });
    status = 'degraded';
    const degraded = await request(`${url}/health/ready`);
    assert.equal(degraded.status, 200);
    assert.deepEqual(degraded.json(), { status: 'ready', health: 'degraded' });
    status = 'unhealthy';
    const unhealthy = await request(`${url}/health/ready`);
    assert.equal(unhealthy.status, 503);
    assert.deepEqual(unhealthy.json(), { status: 'not_ready', health: 'unhealthy' });
  });

  it('a non-critical failure keeps the service ready', async () => {
    healthRegistry.register('recommendations', () => ({ status: 'unhealthy' }), { critical: false });
    const url = await start();
    const reply = await request(`${url}/health/ready`);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), { status: 'ready', health: 'degraded' });
  });

  it('a hanging check times out: /health still answers, with the check UNHEALTHY', async () => {
    healthRegistry.register('fast', () => ({ status: 'healthy' }));
    healthRegistry.register('hangs', () => never());
    const url = await start({ healthCheckTimeoutMs: 200 });
    const health = await request(`${url}/health`, {}, 2_000);
    assert.equal(health.status, 200);
    const body = health.json() as { status: string; checks: { name: string; status: string; message: string }[] };
    assert.equal(body.status, 'unhealthy');
    assert.deepEqual(body.checks.map((c) => [c.name, c.status, c.message]),
      [['fast', 'healthy', ''], ['hangs', 'unhealthy', 'timed out after 200 ms']]);
    const ready = await request(`${url}/health/ready`, {}, 2_000);
    assert.equal(ready.status, 503);
  });

  it('readiness answers from recent results while a check hangs', async () => {
    healthRegistry.register('fast', () => ({ status: 'healthy' }));
    const url = await start({ healthCacheTtlMs: 0 });
    await request(`${url}/health/ready`);
    // From now on every run includes a check whose deadline is beyond the request's own
    // timeout: a probe that waited for it would fail the request below. (Not longer: the
    // deadline's timer holds the test process until it passes.)
    healthRegistry.register('hangs', () => never(), { timeoutMs: 3_000 });
    for (let i = 0; i < 3; i += 1) {
      const ready = await request(`${url}/health/ready`, {}, 2_000);
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.json(), { status: 'ready', health: 'healthy' });
    }
  });

  it('the very next /health and /health/ready after register/unregister reflect the change', async () => {
    healthRegistry.register('database', () => ({ status: 'healthy' }));
    // The default cache TTL (1 s): results from the request below are still "recent".
    const url = await start();
    assert.equal((await request(`${url}/health/ready`)).status, 200);
    assert.equal((await request(`${url}/health`)).status, 200);

    healthRegistry.register('payments', () => { throw new Error('payments API unreachable'); });
    const ready = await request(`${url}/health/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.json(), { status: 'not_ready', health: 'unhealthy' });
    const health = (await request(`${url}/health`)).json() as { status: string; checks: { name: string }[] };
    assert.equal(health.status, 'unhealthy');
    assert.deepEqual(health.checks.map((c) => c.name), ['database', 'payments']);

    healthRegistry.unregister('payments');
    const readyAgain = await request(`${url}/health/ready`);
    assert.equal(readyAgain.status, 200);
    assert.deepEqual(readyAgain.json(), { status: 'ready', health: 'healthy' });
    const healthAgain = (await request(`${url}/health`)).json() as { status: string; checks: { name: string }[] };
    assert.equal(healthAgain.status, 'healthy');
    assert.deepEqual(healthAgain.checks.map((c) => c.name), ['database']);
  });

  it('unregistering a hung check is reflected at once, without waiting for it', async () => {
    healthRegistry.register('fast', () => ({ status: 'healthy' }));
    // Its deadline is beyond the requests' own timeouts: a request that waited for it fails.
    healthRegistry.register('hangs', () => never(), { timeoutMs: 3_000 });
    const url = await start();
    // The first probe has no earlier results, so it waits for the first run: give it one.
    void healthRegistry.runAll();
    healthRegistry.unregister('hangs');
    const ready = await request(`${url}/health/ready`, {}, 2_000);
    assert.equal(ready.status, 200);
    const health = (await request(`${url}/health`, {}, 2_000)).json() as { checks: { name: string }[] };
    assert.deepEqual(health.checks.map((c) => c.name), ['fast']);
  });

  it('/health/startup is 503 until every startup check has passed once, then 200 for good', async () => {
    let warmed = false;
    healthRegistry.register('cache-warm', () => ({ status: warmed ? 'healthy' : 'unhealthy', message: 'warming' }),
      { probes: ['startup'] });
    healthRegistry.register('database', () => ({ status: 'healthy' }));
    const url = await start({ healthCacheTtlMs: 0 });
    for (let i = 0; i < 2; i += 1) {
      const starting = await request(`${url}/health/startup`);
      assert.equal(starting.status, 503);
      assert.deepEqual(starting.json(), { status: 'starting', reason: 'checks', pending: ['cache-warm'] });
    }
    // A startup-only check decides neither readiness nor liveness.
    assert.equal((await request(`${url}/health/ready`)).status, 200);
    warmed = true;
    const started = await request(`${url}/health/startup`);
    assert.equal(started.status, 200);
    assert.deepEqual(started.json(), { status: 'started' });
    // One-way: a later failure, or a new startup check, never sends the kubelet back to startup.
    warmed = false;
    healthRegistry.register('late', () => ({ status: 'unhealthy' }), { probes: ['startup'] });
    assert.equal((await request(`${url}/health/startup`)).status, 200);
    assert.equal(((await request(`${url}/health`)).json() as { status: string }).status, 'unhealthy');
  });

  it('/health/startup is 200 at once when no check asks to be waited for', async () => {
    healthRegistry.register('database', () => ({ status: 'unhealthy' }));
    const url = await start();
    assert.deepEqual((await request(`${url}/health/startup`)).json(), { status: 'started' });
  });

  it('failAfter / recoverAfter: readiness flips only after that many consecutive runs, and /health shows the grace window', async () => {
    const runs: ('healthy' | 'unhealthy')[] = ['healthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy', 'healthy'];
    healthRegistry.register('db', () => ({ status: runs.shift(), message: 'observed' }), { failAfter: 3, recoverAfter: 2 });
    // Every request below is one run of the check.
    const url = await start({ healthCacheTtlMs: 0 });
    const db = async () => {
      const { checks } = (await request(`${url}/health`)).json() as { checks: { status: string; grace?: unknown }[] };
      return [checks[0]?.status, checks[0]?.grace];
    };
    const ready = async () => (await request(`${url}/health/ready`)).status;
    assert.equal(await ready(), 200);                                  // healthy
    assert.deepEqual(await db(), ['healthy', { observed: 'unhealthy', consecutive: 1, needed: 3 }]);
    assert.equal(await ready(), 200);                                  // unhealthy 2 of 3: still ready
    assert.equal(await ready(), 503);                                  // unhealthy 3 of 3
    assert.deepEqual(await db(), ['unhealthy', { observed: 'healthy', consecutive: 1, needed: 2 }]);
    assert.equal(await ready(), 200);                                  // healthy 2 of 2
  });

  it('/health answers application/health+json to clients that ask for it', async () => {
    let db: 'healthy' | 'unhealthy' = 'healthy';
    healthRegistry.register('database', () => ({ status: db, message: 'connection refused' }));
    healthRegistry.register('cache', () => ({ status: 'degraded', message: 'replica lagging' }));
    const url = await start({ healthCacheTtlMs: 0 });
    const asked = { headers: { Accept: 'application/health+json' } };
    const warn = await request(`${url}/health`, asked);
    assert.equal(warn.status, 200);
    assert.equal(warn.headers.get('content-type'), 'application/health+json');
    assert.equal(warn.headers.get('vary'), 'Accept');
    const body = warn.json() as { status: string; checks: Record<string, Record<string, unknown>[]> };
    assert.deepEqual(Object.keys(body), ['status', 'checks']);
    assert.equal(body.status, 'warn');
    assert.deepEqual(Object.keys(body.checks), ['database', 'cache']);
    const [database] = body.checks.database!;
    assert.deepEqual(Object.keys(database!), ['status', 'time', 'observedValue', 'observedUnit', 'componentType'],
      'no output on pass, as the draft says');
    assert.equal(database!.status, 'pass');
    assert.equal(typeof database!.observedValue, 'number');
    assert.equal(database!.observedUnit, 'ms');
    assert.equal(database!.componentType, 'component');
    assert.ok(!Number.isNaN(Date.parse(String(database!.time))));
    assert.deepEqual([body.checks.cache![0]!.status, body.checks.cache![0]!.output], ['warn', 'replica lagging']);

    db = 'unhealthy';
    const fail = await request(`${url}/health`, { headers: { Accept: 'application/json;q=0.5, application/health+json' } });
    assert.equal(fail.status, 503, 'non-2xx on fail, as the draft says');
    const failed = fail.json() as { status: string; checks: Record<string, Record<string, unknown>[]> };
    assert.equal(failed.status, 'fail');
    assert.deepEqual([failed.checks.database![0]!.status, failed.checks.database![0]!.output], ['fail', 'connection refused']);
    assert.equal((await request(`${url}/health`, { ...asked, method: 'HEAD' })).status, 503);

    // The spec's JSON stays the default, also for */* and application/json.
    for (const accept of [undefined, '*/*', 'application/json', 'application/json, application/health+json;q=0.9',
      'application/health+json;q=0, */*']) {
      const reply = await request(`${url}/health`, accept ? { headers: { Accept: accept } } : {});
      assert.equal(reply.status, 200, String(accept));
      assert.equal(reply.headers.get('content-type'), 'application/json; charset=utf-8', String(accept));
      assert.equal((reply.json() as { status: string }).status, 'unhealthy');
    }
  });

  it('tags: /health?tag=db and /health/ready?tag=db answer for the checks with that tag', async () => {
    healthRegistry.register('postgres', () => ({ status: 'healthy' }), { tags: ['db', 'core'] });
    healthRegistry.register('redis', () => ({ status: 'degraded' }), { tags: ['db'] });
    healthRegistry.register('payments', () => ({ status: 'unhealthy' }), { tags: ['external'] });
    healthRegistry.register('untagged', () => ({ status: 'healthy' }));
    const url = await start();
    const names = async (query: string) => {
      const body = (await request(`${url}/health${query}`)).json() as { status: string; checks: { name: string }[] };
      return [body.status, body.checks.map((c) => c.name)];
    };
    assert.deepEqual(await names(''), ['unhealthy', ['postgres', 'redis', 'payments', 'untagged']]);
    assert.deepEqual(await names('?tag=db'), ['degraded', ['postgres', 'redis']]);
    assert.deepEqual(await names('?tag=core'), ['healthy', ['postgres']]);
    assert.deepEqual(await names('?tag=core&tag=external'), ['unhealthy', ['postgres', 'payments']]);
    // "Can serve" apart from "all dependencies ok": readiness for a subset.
    assert.equal((await request(`${url}/health/ready`)).status, 503);
    assert.deepEqual((await request(`${url}/health/ready?tag=db`)).json(), { status: 'ready', health: 'degraded' });
    const healthJson = await request(`${url}/health?tag=external`, { headers: { Accept: 'application/health+json' } });
    assert.equal(healthJson.status, 503);
    assert.deepEqual(Object.keys((healthJson.json() as { checks: object }).checks), ['payments']);
    // An unknown tag is a typo, not an empty, healthy group; the tag is not echoed back.
    const unknown = await request(`${url}/health?tag=%3Cscript%3E`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json(), { error: 'no health check has that tag' });
    assert.equal((await request(`${url}/health/ready?tag=nope`)).status, 404);
  });

  it('/health/ready is 503 while draining, while liveness stays 200', async () => {
    const url = await start({ drainDelayMs: 2_000 });
    const draining = drainAndShutdown();
    const ready = await request(`${url}/health/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.json(), { status: 'not_ready', health: 'healthy', reason: 'draining' });
    assert.equal((await request(`${url}/health/live`)).status, 200);
    await draining;
  });

  it('/health/tools lists the configured URLs, null for the rest', async () => {
    const url = await start({ flowerUrl: 'http://flower:5555', env: { GRAFANA_URL: 'http://grafana:3000' } });
    assert.deepEqual((await request(`${url}/health/tools`)).json(),
      { flower: 'http://flower:5555', grafana: 'http://grafana:3000', prometheus: null });
  });

  it('/metrics answers 404 with a one-line reason while metrics are off', async () => {
    const url = await start();
    const reply = await request(`${url}/metrics`);
    assert.equal(reply.status, 404);
    assert.equal(reply.text, 'metrics are disabled: set ENABLE_METRICS=true or call initObservability({ enableMetrics: true })\n');
  });

  it('HEAD is GET without a body; other methods 405 with Allow; unknown paths 404', async () => {
    const url = await start();
    const get = await request(`${url}/health`);
    const head = await request(`${url}/health`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers.get('content-type'), get.headers.get('content-type'));
    const post = await request(`${url}/health/ready`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.deepEqual(post.json(), { error: 'method not allowed' });
    const missing = await request(`${url}/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { error: 'not found' });
    assert.equal((await request(`${url}/health/live?verbose=1`)).status, 200, 'the query string is ignored');
  });

  it('a busy port gives one clear warning and the app keeps going', async () => {
    const squatter = createServer().listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const { port } = squatter.address() as AddressInfo;
    try {
      const { result, stderr } = await captureStderr(() => initObservability({ port, host: '127.0.0.1', env: {} }));
      assert.equal(result.server, undefined);
      assert.match(stderr, new RegExp(`observability server could not listen on 127.0.0.1:${port} \\(EADDRINUSE\\); `
        + '/health and /metrics are not served, the app keeps running'));
      assert.equal(stderr.trim().split('\n').length, 1);
    } finally {
      squatter.close();
    }
  });

  it('initObservability is idempotent and warns when later options are ignored', async () => {
    const first = initObservability({ port: 0, host: '127.0.0.1', env: {} });
    const { result: second, stderr } = await captureStderr(() => initObservability({ enableMetrics: true }));
    assert.equal(await first, await second);
    assert.match(stderr, /initObservability\(\) was called again while already initialised/);
  });

  it('bad option values warn, naming the option and the fallback, and the server still starts', async () => {
    const { result, stderr } = await captureStderr(() =>
      initObservability({ port: 0, host: '127.0.0.1', env: {}, healthCheckTimeoutMs: -5, grafanaUrl: 'not a url' }));
    assert.ok(result.server);
    assert.match(stderr, /option healthCheckTimeoutMs=-5 is not a whole number of milliseconds from 1 to 86400000; using 500/);
    assert.match(stderr, /option grafanaUrl="not a url" is not an http\(s\) URL; ignoring it/);
  });

  it('shutdownObservability closes the server, also when called twice', async () => {
    const url = await start();
    await Promise.all([shutdownObservability(), shutdownObservability()]);
    await assert.rejects(request(`${url}/health/live`), /fetch failed/);
  });
});

describe('the auth token', () => {
  const token = 'test-token-0123456789abcdef';
  beforeEach(() => {
    healthRegistry.clear();
    healthRegistry.register('database', () => ({ status: 'healthy', message: 'postgres primary OK' }));
  });
  afterEach(() => shutdownObservability());

  it('protects /metrics, /health/tools and check details, and leaves the probes open', async () => {
    const url = await start({ authToken: token, enableMetrics: true, grafanaUrl: 'http://grafana:3000' });
    for (const path of ['/metrics', '/health/tools']) {
      const denied = await request(`${url}${path}`);
      assert.equal(denied.status, 401, path);
      assert.equal(denied.headers.get('www-authenticate'), 'Bearer realm="observability"');
      assert.equal((await request(`${url}${path}`, { headers: { Authorization: 'Bearer wrong-token-0123456789abcd' } })).status, 401);
      assert.equal((await request(`${url}${path}`, { headers: { Authorization: token } })).status, 401, 'the scheme is required');
      assert.equal((await request(`${url}${path}`, { headers: { Authorization: `Bearer ${token}` } })).status, 200, path);
    }
    const anonymous = (await request(`${url}/health`)).json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(anonymous), ['status', 'timestamp']);
    assert.equal(anonymous.status, 'healthy');
    const detailed = (await request(`${url}/health`, { headers: { Authorization: `bearer ${token}` } })).json() as { checks: unknown[] };
    assert.equal(detailed.checks.length, 1);
    const anonymousHealthJson = await request(`${url}/health`, { headers: { Accept: 'application/health+json' } });
    assert.deepEqual(anonymousHealthJson.json(), { status: 'pass' }, 'health+json without the token: the verdict only');
    assert.equal((await request(`${url}/health/ready`)).status, 200);
    assert.equal((await request(`${url}/health/live`)).status, 200);
  });
});
