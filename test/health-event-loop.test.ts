// The built-in event-loop check in a real process whose loop really stalls for 400 ms at a
// time: it shows in /health with no code from the app, and fails liveness only when asked.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { request } from './helpers/http.ts';
import { REGISTER, startNode, type Child } from './helpers/process.ts';

const LISTENING = /serving \/health\S*(?:, \S+)* and \/metrics on (http:\/\/\S+)/;

interface Check { name: string; status: string; message: string; details: Record<string, number> }

function startStalling(env: NodeJS.ProcessEnv): Child {
  return startNode(['--import', REGISTER, 'test/fixtures/event-loop-app.mjs'],
    { OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1', HEALTH_CACHE_TTL_MS: '0', ...env });
}

/** Polls until `done` holds for the event-loop check (a generous hang bound, not a timing assertion). */
async function eventLoopCheck(url: string, done: (check: Check) => boolean): Promise<Check> {
  const deadline = Date.now() + 20_000;
  let last: Check | undefined;
  while (Date.now() < deadline) {
    const { checks } = (await request(`${url}/health`, {}, 5_000)).json() as { checks: Check[] };
    last = checks.find((c) => c.name === 'event-loop');
    if (last && done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the event-loop check never got there; last: ${JSON.stringify(last)}`);
}

describe('the built-in event-loop check, under real 400 ms stalls', () => {
  const children: Child[] = [];
  after(() => { for (const child of children) child.kill(); });

  async function start(env: NodeJS.ProcessEnv = {}): Promise<string> {
    const child = startStalling(env);
    children.push(child);
    await child.waitFor(/stalling/);
    return (await child.waitFor(LISTENING, 15_000, 'stderr'))[1]!;
  }

  it('degrades /health with the delay in details, and leaves liveness and readiness alone', async () => {
    const url = await start();
    const check = await eventLoopCheck(url, (c) => c.status === 'degraded');
    assert.ok(check.details.p99Ms! > 200, JSON.stringify(check));
    assert.ok(check.details.p99Ms! >= 300, `a 400 ms stall reads as such: ${JSON.stringify(check)}`);
    assert.equal(check.details.thresholdMs, 200);
    assert.match(check.message, /^event loop delay p99 \d+(\.\d)? ms is above 200 ms$/);
    assert.equal(((await request(`${url}/health`, {}, 5_000)).json() as { status: string }).status, 'degraded');
    assert.equal((await request(`${url}/health/live`, {}, 5_000)).status, 200);
    assert.equal((await request(`${url}/health/ready`, {}, 5_000)).status, 200);
  });

  it('follows a configured threshold', async () => {
    const url = await start({ HEALTH_EVENT_LOOP_DELAY_MS: '5000' });
    // Once it has seen the stalls, it still calls them healthy: they are under 5 s.
    const check = await eventLoopCheck(url, (c) => c.details.p99Ms! >= 300);
    assert.equal(check.status, 'healthy');
    assert.equal(check.details.thresholdMs, 5000);
  });

  it('fails liveness only when opted in with HEALTH_EVENT_LOOP_LIVENESS_MS', async () => {
    const url = await start({ HEALTH_EVENT_LOOP_LIVENESS_MS: '300' });
    await eventLoopCheck(url, (c) => c.status === 'unhealthy');
    const deadline = Date.now() + 20_000;
    let live = 0;
    while (Date.now() < deadline && live !== 503) {
      live = (await request(`${url}/health/live`, {}, 5_000)).status;
    }
    assert.equal(live, 503);
  });

  it('is off with HEALTH_EVENT_LOOP_DELAY_MS=0', async () => {
    const url = await start({ HEALTH_EVENT_LOOP_DELAY_MS: '0' });
    const { checks } = (await request(`${url}/health`, {}, 5_000)).json() as { checks: Check[] };
    assert.deepEqual(checks, []);
  });
});
