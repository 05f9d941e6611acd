// Issue 11, node:cluster: the primary alone serves OBSERVABILITY_PORT (workers inherit the
// preload through execArgv and must not try to bind it), and its /metrics and /health
// report what every worker counted and checked, over the cluster's IPC channel.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { request } from './helpers/http.ts';
import { REGISTER, startNode, type Child } from './helpers/process.ts';
import { freePort, promtoolCheck, requireBinaries } from './helpers/prometheus.ts';

const FIXTURE = 'test/fixtures/processes/cluster-app.mjs';
const TEXT_004 = { accept: 'text/plain;version=0.0.4' };

async function startCluster(env: NodeJS.ProcessEnv = {}, preloadPrimary = true): Promise<{ child: Child; app: string; obs: string }> {
  const port = await freePort();
  const child = startNode([...(preloadPrimary ? ['--import', REGISTER] : []), FIXTURE], {
    OBSERVABILITY_PORT: String(port), OBSERVABILITY_HOST: '127.0.0.1', ENABLE_METRICS: 'true', ...env,
  });
  let appPort: string | undefined;
  try {
    [, appPort] = await child.waitFor(/cluster ready on (\d+)/, 20_000);
  } catch (error) {
    child.kill();
    throw error;
  }
  return { child, app: `http://127.0.0.1:${appPort}`, obs: `http://127.0.0.1:${port}` };
}

/** Hits /hit `n` times on fresh connections (the cluster hands connections round-robin). */
async function hit(app: string, n: number): Promise<Set<string>> {
  const served = new Set<string>();
  for (let i = 0; i < n; i++) served.add((await request(`${app}/hit`, { headers: { connection: 'close' } })).text);
  return served;
}

function sample(text: string, series: string): number[] {
  const escaped = series.replace(/[{}"=\\]/g, (c) => `\\${c}`);
  return [...text.matchAll(new RegExp(`^${escaped} (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
}

describe('node:cluster under the preload', () => {
  it('one process serves; a counter hit 20 times across 2 workers reads 20 on every scrape', { timeout: 60_000 }, async () => {
    requireBinaries('promtool');
    const { child, app, obs } = await startCluster();
    try {
      const served = await hit(app, 20);
      assert.deepEqual([...served].sort(), ['1', '2'], 'both workers served hits');
      for (let scrape = 0; scrape < 10; scrape++) {
        const text = (await request(`${obs}/metrics`, { headers: TEXT_004 })).text;
        assert.deepEqual(sample(text, 'jobs_total'), [20], `scrape ${scrape}`);
        assert.deepEqual(sample(text, 'job_size_bytes_count'), [20]);
        assert.deepEqual(sample(text, 'job_size_bytes_bucket{le="100"}'), [20]);
        assert.deepEqual(sample(text, 'job_size_bytes_bucket{le="10"}'), [0]);
        if (scrape === 0) {
          const lint = await promtoolCheck(text);
          assert.equal(lint.code, 0, lint.output);
          // One family per name, HELP as declared in the workers.
          assert.equal(text.match(/^# TYPE jobs_total counter$/gm)?.length, 1);
          assert.match(text, /^# HELP jobs_total Jobs done by the workers$/m);
          // Runtime metrics per process, told apart by a worker label.
          for (const worker of ['primary', '1', '2']) {
            assert.equal(sample(text, `process_resident_memory_bytes{worker="${worker}"}`).length, 1, worker);
          }
          // The RED histogram covers every worker's requests.
          const counts = [...text.matchAll(/^http_server_request_duration_seconds_count\{[^}]*http_request_method="GET"[^}]*\} (\d+)$/gm)];
          assert.equal(counts.reduce((total, m) => total + Number(m[1]), 0), 20);
        }
      }
      const health = (await request(`${obs}/health`)).json() as { checks: { name: string; status: string }[] };
      // The app's checks (the SDK's own event-loop check is reported per worker too).
      const names = health.checks.map((c) => c.name);
      assert.deepEqual(names.filter((name) => name.endsWith('worker-db')).sort(), ['worker 1: worker-db', 'worker 2: worker-db']);
      assert.ok(names.includes('worker 1: event-loop') && names.includes('worker 2: event-loop'), names.join(', '));
      const stderr = child.stderr();
      assert.doesNotMatch(stderr, /OBS_PORT_BUSY|EADDRINUSE/);
      assert.equal(stderr.match(/serving \/health/g)?.length, 1, 'exactly one process serves');
    } finally {
      child.kill();
    }
  });

  it('a failing check in a worker fails readiness', { timeout: 60_000 }, async () => {
    const { child, obs } = await startCluster({ WORKER_DB_DOWN: '1' });
    try {
      const ready = await request(`${obs}/health/ready`);
      assert.equal(ready.status, 503);
      const health = (await request(`${obs}/health`)).json() as { status: string; checks: { name: string; status: string }[] };
      assert.equal(health.status, 'unhealthy');
      const db = health.checks.filter((c) => c.name.endsWith('worker-db'));
      assert.equal(db.length, 2);
      assert.ok(db.every((c) => c.status === 'unhealthy'));
    } finally {
      child.kill();
    }
  });

  it('a worker killed mid-test: the scrape still answers, its count stays, /health shows it', { timeout: 60_000 }, async () => {
    const { child, app, obs } = await startCluster();
    try {
      await hit(app, 20);
      assert.deepEqual(sample((await request(`${obs}/metrics`)).text, 'jobs_total'), [20]);
      const [, pid] = child.stdout().match(/worker 1 pid (\d+)/)!;
      process.kill(Number(pid), 'SIGKILL');
      await child.waitFor(/./, 100).catch(() => {}); // let the exit reach the primary
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (let scrape = 0; scrape < 5; scrape++) {
        const metrics = await request(`${obs}/metrics`);
        assert.equal(metrics.status, 200);
        assert.deepEqual(sample(metrics.text, 'jobs_total'), [20], 'what the dead worker counted stays counted');
        assert.equal(sample(metrics.text, 'process_resident_memory_bytes{worker="1"}').length, 0);
      }
      await hit(app, 4); // the remaining worker takes them all
      assert.deepEqual(sample((await request(`${obs}/metrics`)).text, 'jobs_total'), [24]);
      const health = (await request(`${obs}/health`)).json() as { checks: { name: string; status: string; message: string }[] };
      const dead = health.checks.find((c) => c.name === 'worker 1');
      assert.equal(dead?.status, 'unhealthy');
      assert.equal(dead?.message, 'was killed by SIGKILL');
      assert.ok(health.checks.some((c) => c.name === 'worker 2: worker-db'));
    } finally {
      child.kill();
    }
  });

  it('a worker too busy to answer: the scrape answers with its last numbers and a warning', { timeout: 60_000 }, async () => {
    const { child, app, obs } = await startCluster();
    try {
      await hit(app, 20);
      assert.deepEqual(sample((await request(`${obs}/metrics`)).text, 'jobs_total'), [20]);
      // Blocks one worker's event loop for 3 s; the request itself is left pending.
      void request(`${app}/block?ms=3000`, { headers: { connection: 'close' } }).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 200));
      const metrics = await request(`${obs}/metrics`);
      assert.equal(metrics.status, 200);
      assert.deepEqual(sample(metrics.text, 'jobs_total'), [20]);
      assert.match(child.stderr(), /OBS_CLUSTER_WORKER_SLOW: cluster worker \d did not send its metrics within 1000 ms/);
    } finally {
      child.kill();
    }
  });

  it('SIGTERM to the primary: every worker drains (a request in flight completes), then the primary ends by the signal', { timeout: 60_000 }, async () => {
    const { child, app } = await startCluster();
    try {
      const slow = request(`${app}/slow?ms=1500`, { headers: { connection: 'close' } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.process.kill('SIGTERM');
      const reply = await slow;
      assert.deepEqual([reply.status, reply.text], [200, 'slow done']);
      const { code, signal } = await child.exited(15_000);
      assert.deepEqual({ code, signal }, { code: null, signal: 'SIGTERM' });
    } finally {
      child.kill();
    }
  });

  it('a primary without the SDK (as PM2\'s daemon): the workers elect one to serve, and it reports them all', { timeout: 60_000 }, async () => {
    const { child, app, obs } = await startCluster({ WORKERS_PRELOAD: REGISTER }, false);
    try {
      await child.waitFor(/serving \/health/, 10_000, 'stderr');
      // The loser connects to the winner's socket; /health lists it once it has.
      const dbChecks = async () => ((await request(`${obs}/health`)).json() as { checks: { name: string }[] }).checks
        .map((c) => c.name).filter((name) => name.endsWith('worker-db'));
      let names: string[] = [];
      for (let tries = 0; tries < 50 && names.length < 2; tries++) {
        names = await dbChecks();
        if (names.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const other = names.find((name) => name.startsWith('worker '))?.match(/^worker (\d+): worker-db$/)?.[1];
      assert.ok(other, `the other worker's check is listed: ${names.join(', ')}`);
      assert.deepEqual(names.sort(), [`worker ${other}: worker-db`, 'worker-db']);

      assert.deepEqual([...await hit(app, 20)].sort(), ['1', '2']);
      for (let scrape = 0; scrape < 6; scrape++) {
        const text = (await request(`${obs}/metrics`, { headers: { connection: 'close' } })).text;
        assert.deepEqual(sample(text, 'jobs_total'), [20], `scrape ${scrape}`);
      }
      const stderr = child.stderr();
      assert.doesNotMatch(stderr, /OBS_PORT_BUSY|EADDRINUSE/);
      assert.equal(stderr.match(/serving \/health/g)?.length, 1, 'exactly one worker serves');

      // The serving worker dies: the other takes the port over.
      const winner = other === '1' ? '2' : '1';
      const [, pid] = child.stdout().match(new RegExp(`worker ${winner} pid (\\d+)`))!;
      process.kill(Number(pid), 'SIGKILL');
      await child.waitFor(/serving the cluster's \/health and \/metrics/, 15_000, 'stderr');
      assert.deepEqual(await dbChecks(), ['worker-db']);
    } finally {
      child.kill();
      await child.exited();
      await new Promise((resolve) => setTimeout(resolve, 300)); // the orphaned workers end on the lost channel
      // A SIGKILLed serving worker leaves its socket file behind (the next winner would replace it).
      rmSync(join(tmpdir(), `wizamart-obs-${child.process.pid}-${new URL(obs).port}.sock`), { force: true });
    }
  });
});
