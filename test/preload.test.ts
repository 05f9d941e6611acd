// The built preload in real processes: `node --import ./register.js app`.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from './helpers/http.ts';
import { REGISTER, startNode } from './helpers/process.ts';

const LISTENING = /serving \/health.* on (http:\/\/127\.0\.0\.1:\d+)/;

function startDemo(env: NodeJS.ProcessEnv = {}) {
  return startNode(['--import', REGISTER, 'examples/demo/app.mjs'], {
    PORT: '0', OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1', ...env,
  });
}

async function observabilityUrl(child: ReturnType<typeof startNode>): Promise<string> {
  await child.waitFor(/demo listening/);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const match = child.stderr().match(LISTENING);
    if (match) return match[1]!;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the SDK never said where it listens:\n${child.stderr()}`);
}

describe('the preload', () => {
  it('gives an unmodified app the health endpoints, its checks and its modules', async () => {
    const child = startDemo();
    try {
      const url = await observabilityUrl(child);
      const health = (await request(`${url}/health`)).json() as { status: string; checks: { name: string }[] };
      assert.equal(health.status, 'degraded');
      // The built-in event-loop check first: the preload registers it before the app runs.
      assert.deepEqual(health.checks.map((c) => c.name), ['event-loop', 'database', 'recommendations', 'module:billing']);
      assert.deepEqual((await request(`${url}/health/ready`)).json(), { status: 'ready', health: 'degraded' });
    } finally {
      child.kill();
    }
  });

  it('SIGTERM: readiness 503 at once, liveness 200 through the drain, then the process ends by the signal', async () => {
    const child = startDemo({ OBSERVABILITY_DRAIN_DELAY_MS: '1500' });
    try {
      const url = await observabilityUrl(child);
      assert.equal((await request(`${url}/health/ready`)).status, 200);
      child.process.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const ready = await request(`${url}/health/ready`);
      assert.equal(ready.status, 503);
      assert.equal((ready.json() as { reason: string }).reason, 'draining');
      assert.equal((await request(`${url}/health/live`)).status, 200);
      const { code, signal } = await child.exited(10_000);
      assert.deepEqual({ code, signal }, { code: null, signal: 'SIGTERM' });
    } finally {
      child.kill();
    }
  });

  it('an app with its own SIGTERM handler keeps control of exiting', async () => {
    const child = startNode(['--import', REGISTER, '--input-type=module', '-e', `
      process.on('SIGTERM', () => { console.log('app handled SIGTERM'); setTimeout(() => process.exit(7), 200); });
      setInterval(() => {}, 1000);
      console.log('ready');
    `], { OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1' });
    try {
      await child.waitFor(/ready/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      child.process.kill('SIGTERM');
      const { code } = await child.exited(10_000);
      assert.equal(code, 7);
      assert.match(child.stdout(), /app handled SIGTERM/);
    } finally {
      child.kill();
    }
  });

  it('signal-exit loaded: SIGTERM still ends the process by the signal, after the drain, and its exit callbacks run (as in plain node)', async () => {
    // signal-exit re-raises only when its listener is the sole one; before, each side
    // waited for the other and the process served on until SIGKILL.
    const app = `
      import { onExit } from 'signal-exit';
      import { createServer } from 'node:http';
      onExit((code, signal) => { console.log('cleanup ' + signal); });
      createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', () => console.log('ready'));
    `;
    for (const preload of [[], ['--import', REGISTER]]) {
      const child = startNode([...preload, '--input-type=module', '-e', app], { OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1' });
      try {
        await child.waitFor(/ready/);
        child.process.kill('SIGTERM');
        const { code, signal } = await child.exited(10_000);
        assert.deepEqual({ code, signal, preload: preload.length > 0 }, { code: null, signal: 'SIGTERM', preload: preload.length > 0 }, child.stderr());
        assert.match(child.stdout(), /cleanup SIGTERM/);
      } finally {
        child.kill();
      }
    }
  });

  it('does not hold open a script that ends on its own', async () => {
    const child = startNode(['--import', REGISTER, '-e', 'console.log("done")'], { OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1' });
    const { code } = await child.exited(10_000);
    assert.equal(code, 0);
    assert.equal(child.stdout(), 'done\n');
  });

  it('inside Kubernetes, prints the probe settings that fit its timings', async () => {
    const child = startDemo({ KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    try {
      await observabilityUrl(child);
      // Its own line, written after the serving line: wait for it rather than read at once.
      await child.waitFor(/probe settings for these timings.*\n/, 15_000, 'stderr');
      assert.match(child.stderr(), /probe settings for these timings: timeoutSeconds: 1 \(health check deadline 500 ms \+ 250 ms\); readinessProbe periodSeconds: 2, failureThreshold: 2 \(2 s x 2 within the drain of 5000 ms\); terminationGracePeriodSeconds: 20 \+ your preStop sleep, or more/);
    } finally {
      child.kill();
    }
  });

  it('bad environment values warn, naming the variable and the fallback, and the app runs', async () => {
    const child = startDemo({ ENABLE_METRICS: 'maybe', HEALTH_CHECK_TIMEOUT_MS: '-1', FLOWER_URL: 'ftp://x' });
    try {
      const url = await observabilityUrl(child);
      assert.equal((await request(`${url}/health/live`)).status, 200);
      const stderr = child.stderr();
      assert.match(stderr, /ENABLE_METRICS="maybe" is not true or false; using false/);
      assert.match(stderr, /HEALTH_CHECK_TIMEOUT_MS="-1" is not a whole number of milliseconds from 1 to 86400000; using 500/);
      assert.match(stderr, /FLOWER_URL="ftp:\/\/x" is not an http\(s\) URL; ignoring it/);
    } finally {
      child.kill();
    }
  });
});

describe('a script', () => {
  it('awaiting runAll() on a hanging check gets the timed-out result instead of exiting mid-await', async () => {
    const child = startNode(['--input-type=module', '-e', `
      import { healthRegistry } from '@wizamart/observability';
      healthRegistry.register('hangs', () => new Promise(() => {}), { timeoutMs: 100 });
      const report = await healthRegistry.runAll();
      console.log(report.checks[0].message);
    `]);
    const { code } = await child.exited(10_000);
    assert.equal(code, 0, child.stderr());
    assert.equal(child.stdout(), 'timed out after 100 ms\n');
  });
});

describe('a CommonJS consumer', () => {
  it('can require("@wizamart/observability")', async () => {
    const child = startNode(['examples/commonjs/consumer.cjs']);
    const { code } = await child.exited(10_000);
    assert.equal(code, 0, child.stderr());
    const line = JSON.parse(child.stdout().trim()) as { status: number; body: { status: string; checks: { name: string }[] } };
    assert.equal(line.status, 200);
    assert.equal(line.body.status, 'healthy');
    assert.equal(line.body.checks[0]?.name, 'database');
  });
});
