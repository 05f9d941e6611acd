import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { HealthRegistry, HealthStatus } from '../src/index.ts';

const never = () => new Promise<never>(() => {});

describe('HealthRegistry', () => {
  let registry: HealthRegistry;
  beforeEach(() => {
    registry = new HealthRegistry();
  });

  it('runs the spec example and fills name, latency_ms and checked_at', async () => {
    registry.register('database', () => ({ name: 'database', status: HealthStatus.HEALTHY, message: 'Database connection OK' }));
    const report = await registry.runAll();
    assert.equal(report.status, 'healthy');
    assert.match(report.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const [check] = report.checks;
    assert.equal(check?.name, 'database');
    assert.equal(check?.status, 'healthy');
    assert.equal(check?.message, 'Database connection OK');
    assert.deepEqual(check?.details, {});
    assert.equal(typeof check?.latency_ms, 'number');
    assert.ok(check!.latency_ms >= 0);
    assert.ok(!Number.isNaN(Date.parse(check!.checked_at)));
  });

  it('accepts async checks, partial results, the spec dict, nothing, and booleans', async () => {
    registry.register('async', async () => ({ status: 'degraded', message: 'slow replica', details: { lag: 3 } }));
    registry.registerCheck('dict', () => ({ status: 'HEALTHY' as const, message: 'Stripe connected' }));
    registry.register('nothing', () => undefined);
    registry.register('partial', () => ({ message: 'fine' }));
    registry.register('false', () => false as never);
    const byName = Object.fromEntries((await registry.runAll()).checks.map((c) => [c.name, c]));
    assert.equal(byName.async?.status, 'degraded');
    assert.deepEqual(byName.async?.details, { lag: 3 });
    assert.equal(byName.dict?.status, 'healthy');
    assert.equal(byName.dict?.message, 'Stripe connected');
    assert.equal(byName.nothing?.status, 'healthy');
    assert.equal(byName.partial?.status, 'healthy');
    assert.equal(byName.false?.status, 'unhealthy');
  });

  it('turns throws and rejections into UNHEALTHY with the error message', async () => {
    registry.register('throws', () => { throw new Error('connection refused'); });
    registry.register('rejects', async () => { throw new Error('password authentication failed'); });
    registry.register('throws-string', () => { throw 'plain string'; });
    const byName = Object.fromEntries((await registry.runAll()).checks.map((c) => [c.name, c]));
    assert.deepEqual([byName.throws?.status, byName.throws?.message], ['unhealthy', 'connection refused']);
    assert.deepEqual([byName.rejects?.status, byName.rejects?.message], ['unhealthy', 'password authentication failed']);
    assert.deepEqual([byName['throws-string']?.status, byName['throws-string']?.message], ['unhealthy', 'plain string']);
  });

  it('keeps the report well-formed whatever a check returns', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    registry.register('bad-status', () => ({ status: 'fine' as never }));
    registry.register('number', () => 42 as never);
    registry.register('circular', () => ({ status: 'healthy', details: circular }));
    registry.register('bigint', () => ({ status: 'healthy', details: 10n as never }));
    registry.register('huge', () => ({ status: 'healthy', details: { rows: 'x'.repeat(100_000) } }));
    registry.register('null', () => null as never);
    registry.register('throws-null', () => { throw null; });
    const report = await registry.runAll();
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    assert.equal(byName['bad-status']?.status, 'unhealthy');
    assert.match(byName['bad-status']!.message, /invalid status "fine"; expected "healthy", "degraded" or "unhealthy"/);
    assert.match(byName.number!.message, /check returned a number; expected a result object, a boolean or nothing/);
    assert.match(String(byName.circular?.details.error), /details are not serialisable as JSON/);
    assert.match(String(byName.bigint?.details.error), /details are not serialisable as JSON/);
    assert.match(String(byName.huge?.details.error), /^details omitted: 100\d{3} bytes of JSON, more than the 16384 allowed$/);
    assert.equal(byName.huge?.status, 'healthy', 'oversized details do not change the verdict');
    assert.equal(byName.null?.status, 'healthy');
    assert.deepEqual([byName['throws-null']?.status, byName['throws-null']?.message], ['unhealthy', 'null']);
    assert.doesNotThrow(() => JSON.stringify(report));
  });

  it('times out a hanging check, aborts its signal and still answers', async () => {
    let signal: AbortSignal | undefined;
    registry.register('hangs', (s) => { signal = s; return never(); }, { timeoutMs: 50 });
    registry.register('fast', () => ({ status: 'healthy' }));
    const report = await registry.runAll();
    const hangs = report.checks.find((c) => c.name === 'hangs');
    assert.equal(hangs?.status, 'unhealthy');
    assert.equal(hangs?.message, 'timed out after 50 ms');
    assert.equal(signal?.aborted, true);
    assert.match(String((signal?.reason as Error).message), /health check "hangs" timed out after 50 ms/);
    assert.equal(report.status, 'unhealthy');
  });

  it('never starts a check again while it is still running', async () => {
    let starts = 0;
    registry.register('hangs', () => { starts += 1; return never(); }, { timeoutMs: 30 });
    const first = await registry.runAll();
    const second = await registry.runAll();
    assert.equal(starts, 1);
    assert.equal(first.checks[0]?.message, 'timed out after 30 ms');
    assert.equal(second.checks[0]?.message, 'timed out after 30 ms (previous run still in progress)');
  });

  it('shares one run between concurrent callers', async () => {
    let runs = 0;
    registry.register('counted', async () => { runs += 1; await new Promise((r) => setTimeout(r, 20)); });
    const reports = await Promise.all([registry.runAll(), registry.runAll(), registry.runAll()]);
    assert.equal(runs, 1);
    assert.equal(reports[0], reports[2]);
  });

  it('a change to the set of checks makes the next run include it, sharing a check still in flight', async () => {
    let starts = 0;
    registry.register('slow', async () => { starts += 1; await new Promise((r) => setTimeout(r, 100)); return { message: 'done' }; });
    const before = registry.runAll();
    registry.register('new', () => ({ status: 'unhealthy' }));
    const after = await registry.runAll();
    assert.equal(starts, 1, 'the slow check is joined, not started again');
    assert.deepEqual(after.checks.map((c) => [c.name, c.status, c.message]), [['slow', 'healthy', 'done'], ['new', 'unhealthy', '']]);
    assert.deepEqual((await before).checks.map((c) => c.name), ['slow']);
    registry.unregister('new');
    const snapshot = await registry.snapshot(0);
    assert.deepEqual(snapshot.report.checks.map((c) => c.name), ['slow']);
    assert.equal(snapshot.readiness, 'healthy');
    assert.deepEqual(registry.latestResults().map((c) => c.name), ['slow']);
  });

  it('runs checks concurrently', async () => {
    const started: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      registry.register(name, async () => { started.push(name); await new Promise((r) => setTimeout(r, 30)); });
    }
    const running = registry.runAll();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started.sort(), ['a', 'b', 'c']);
    await running;
  });

  it('aggregates worst-wins, with no checks HEALTHY and non-critical failures DEGRADED', async () => {
    assert.equal((await registry.runAll()).status, 'healthy');
    registry.register('ok', () => ({ status: 'healthy' }));
    registry.register('slow', () => ({ status: 'degraded' }));
    assert.equal((await registry.runAll()).status, 'degraded');
    registry.register('cache', () => ({ status: 'unhealthy' }), { critical: false });
    const report = await registry.runAll();
    assert.equal(report.status, 'degraded');
    assert.equal(report.checks.find((c) => c.name === 'cache')?.status, 'unhealthy', 'the check itself keeps its status');
    registry.register('db', () => ({ status: 'unhealthy' }));
    assert.equal((await registry.runAll()).status, 'unhealthy');
  });

  it('decides each probe from the checks that affect it', async () => {
    registry.register('db', () => ({ status: 'unhealthy' }));
    registry.register('deadlock', () => ({ status: 'healthy' }), { probes: ['liveness'] });
    registry.register('report-only', () => ({ status: 'unhealthy' }), { probes: [] });
    const snapshot = await registry.snapshot();
    assert.equal(snapshot.readiness, 'unhealthy');
    assert.equal(snapshot.liveness, 'healthy');
    assert.equal(registry.affects('liveness'), true);
  });

  it('rejects bad registrations with errors that name the check', () => {
    assert.throws(() => registry.register('', () => undefined), /healthRegistry.register\(""\): the check name must be a non-empty string/);
    assert.throws(() => registry.register('db', 'nope' as never), /register\("db"\): the check must be a function, got string/);
    assert.throws(() => registry.register('db', () => undefined, { timeoutMs: -1 }), /register\("db"\): timeoutMs must be a positive number of milliseconds, got -1/);
    assert.throws(() => registry.register('db', () => undefined, { timeoutMs: Infinity }), /timeoutMs must be a positive number/);
    assert.throws(() => registry.register('db', () => undefined, { critical: 'no' as never }), /critical must be true or false, got no/);
    assert.throws(() => registry.register('db', () => undefined, { probes: ['readyness' as never] }),
      /register\("db"\): probes must be a list of "readiness", "liveness" and\/or "startup", got \["readyness"\]/);
    assert.deepEqual(registry.names(), []);
  });

  it('rejects bad failAfter / recoverAfter, naming the check and the option', () => {
    for (const bad of [0, -1, 1.5, NaN, '3', 1001]) {
      assert.throws(() => registry.register('db', () => undefined, { failAfter: bad as number }),
        new RegExp(`register\\("db"\\): failAfter must be a whole number of consecutive runs from 1 to 1000, got ${bad === '3' ? '"3"' : String(bad)}`));
    }
    assert.throws(() => registry.register('cache', () => undefined, { recoverAfter: 0 }),
      /register\("cache"\): recoverAfter must be a whole number of consecutive runs from 1 to 1000, got 0/);
    assert.deepEqual(registry.names(), []);
  });

  it('failAfter / recoverAfter count runs, not callers: shared runs count once', async () => {
    let failing = false;
    registry.register('db', async () => {
      await new Promise((r) => setTimeout(r, 10));
      return { status: failing ? 'unhealthy' as const : 'healthy' as const };
    }, { failAfter: 2 });
    assert.equal((await registry.runAll()).status, 'healthy');
    failing = true;
    const shared = await Promise.all([registry.runAll(), registry.runAll(), registry.runAll()]);
    assert.deepEqual(shared.map((r) => r.checks[0]?.grace), Array(3).fill({ observed: 'unhealthy', consecutive: 1, needed: 2 }));
    assert.equal((await registry.runAll()).status, 'unhealthy');
  });

  it('rejects bad tags, naming the check', () => {
    for (const tags of ['db', [''], ['has space'], [42], ['x'.repeat(65)]]) {
      assert.throws(() => registry.register('db', () => undefined, { tags: tags as string[] }),
        /register\("db"\): tags must be a list of words \(letters, digits, "_", "-", "\.", ":"\), got /);
    }
    assert.deepEqual(registry.names(), []);
  });

  it('refuses a second function under a taken name, accepts the same one, and unregisters', async () => {
    const check = () => ({ status: 'healthy' as const });
    registry.register('redis', check);
    registry.register('redis', check);
    assert.throws(() => registry.register('redis', () => undefined),
      /a health check named "redis" is already registered; call healthRegistry.unregister\("redis"\) first/);
    assert.equal(registry.unregister('redis'), true);
    assert.equal(registry.unregister('redis'), false);
    assert.deepEqual((await registry.runAll()).checks, []);
  });
});
