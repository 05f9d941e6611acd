// Issue 11, PM2 cluster mode with a real PM2 (the dev dependency `pm2`): its daemon is the
// node:cluster primary and does not run the preload, so the instances elect one of them to
// serve OBSERVABILITY_PORT and the others report to it (src/processes/siblings.ts). The
// app is started as docs/processes.md tells PM2 users to: its ecosystem file, verbatim.
//
// The daemon runs with a PM2_HOME (and HOME) of its own in a temporary folder, never the
// user's ~/.pm2, and is killed in `after` with whatever it left running. PM2's version check
// (a request to PM2's servers) is off: only 127.0.0.1 is contacted.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { request } from './helpers/http.ts';
import { ROOT } from './helpers/process.ts';
import { freePort } from './helpers/prometheus.ts';

const run = promisify(execFile);
const APP = 'shop'; // the name in the docs' ecosystem file
const TEXT_004 = { accept: 'text/plain;version=0.0.4' };

/** PM2's CLI; the test fails (never skips) without it: it is a dev dependency. */
function pm2Cli(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('pm2/package.json')), 'bin', 'pm2');
  } catch {
    throw new Error('pm2 is not installed: it is a dev dependency of this package (npm ci installs it)');
  }
}

/** The ecosystem file of docs/processes.md, exactly as users are told to write it. */
function ecosystemFromDocs(): string {
  const doc = readFileSync(join(ROOT, 'docs/processes.md'), 'utf8');
  const block = /^```js file=ecosystem\.config\.cjs\n([\s\S]*?)^```$/m.exec(doc);
  assert.ok(block, 'docs/processes.md shows an ecosystem.config.cjs');
  return block[1]!;
}

function sample(text: string, series: string): number[] {
  return [...text.matchAll(new RegExp(`^${series} (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const found = await probe();
      if (found !== undefined) return found;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

interface Check { name: string; status: string; message: string }

describe('PM2 cluster mode (a real PM2 daemon)', () => {
  const home = mkdtempSync(join(tmpdir(), 'obs-pm2-home-'));
  // Inside the package, so require.resolve('@wizamart/observability/register') finds this checkout.
  const appDir = join(ROOT, '.pm2-run');
  const pids = new Set<number>(); // every process PM2 ran for us, killed in `after` if still alive
  let cli = '';
  let obs = '';
  let app = '';
  let obsPort = 0;
  let appPort = 0;

  const baseEnv = (): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH, HOME: home, PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: 'true',
  });
  /** Runs the PM2 CLI with the project's Node (PM2 forks its daemon, and so the instances, with it). */
  const pm2 = async (args: string[], env: NodeJS.ProcessEnv = {}) =>
    (await run(process.execPath, [cli, ...args], { cwd: appDir, env: { ...baseEnv(), ...env }, timeout: 60_000 })).stdout;

  interface Instance { pm_id: number; pid: number; status: string; restarts: number }
  const instances = async (): Promise<Instance[]> => {
    const list = JSON.parse(await pm2(['jlist'])) as { pm_id: number; pid: number; pm2_env: { status: string; restart_time: number } }[];
    const found = list.map((p) => ({ pm_id: p.pm_id, pid: p.pid, status: p.pm2_env.status, restarts: p.pm2_env.restart_time }));
    for (const { pid } of found) if (pid > 0) pids.add(pid);
    return found;
  };
  const logs = (kind: 'error' | 'out'): Map<number, string> => new Map(readdirSync(join(home, 'logs'))
    .map((file) => [file.match(new RegExp(`^${APP}-${kind}-(\\d+)\\.log$`)), file] as const)
    .filter(([match]) => match)
    .map(([match, file]) => [Number(match![1]), readFileSync(join(home, 'logs', file), 'utf8')]));
  const health = async () => ((await request(`${obs}/health`)).json() as { status: string; checks: Check[] }).checks;
  const hit = async (n: number): Promise<Set<string>> => {
    const served = new Set<string>();
    for (let i = 0; i < n; i++) served.add((await request(`${app}/hit`, { headers: { connection: 'close' } })).text.split(' ')[0]!);
    return served;
  };
  const scrape = async () => request(`${obs}/metrics`, { headers: { ...TEXT_004, connection: 'close' } });
  /** The pm_id of the instance that serves the port: the one whose log says so, last. */
  const servingInstance = (): number => {
    const serving = [...logs('error')].filter(([, text]) => /serving \/health/.test(text)).map(([id]) => id);
    assert.equal(serving.length, 1, `exactly one instance serves: ${serving.join(', ')}`);
    return serving[0]!;
  };

  before(async () => {
    cli = pm2Cli();
    // PM2's CLI asks PM2's servers for a newer version on its first run in a PM2_HOME: not here.
    writeFileSync(join(home, 'touch'), String(Date.now()));
    mkdirSync(appDir, { recursive: true });
    writeFileSync(join(appDir, 'ecosystem.config.cjs'), ecosystemFromDocs());
    // In the package's folder ("type": "module"), app.js is an ES module, as PM2 sees too.
    copyFileSync(join(ROOT, 'test/fixtures/processes/pm2-app.mjs'), join(appDir, 'app.js'));
    [obsPort, appPort] = [await freePort(), await freePort()];
    obs = `http://127.0.0.1:${obsPort}`;
    app = `http://127.0.0.1:${appPort}`;
    // The daemon starts first, without the app's variables (as after a reboot's `pm2 resurrect`,
    // or a daemon started for another app): the instances must read the app's, not the daemon's.
    await pm2(['ping']);
    pids.add(Number(readFileSync(join(home, 'pm2.pid'), 'utf8')));
    await pm2(['start', 'ecosystem.config.cjs'], {
      OBSERVABILITY_PORT: String(obsPort), OBSERVABILITY_HOST: '127.0.0.1', ENABLE_METRICS: 'true', PORT: String(appPort),
    });
    await instances();
  });

  after(async () => {
    await pm2(['kill']).catch(() => {});
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
    }
    rmSync(appDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it('one instance serves; a counter hit 40 times across 2 instances reads 40 on every scrape', { timeout: 90_000 }, async () => {
    // Both instances' checks are listed once the loser has connected to the winner's socket.
    const names = await until('both instances in /health', async () => {
      const found = (await health()).map((c) => c.name).filter((name) => name.endsWith('instance-db'));
      return found.length === 2 ? found : undefined;
    });
    assert.ok(names.includes('instance-db'), names.join(', '));
    assert.match(names.find((name) => name !== 'instance-db')!, /^worker \d+: instance-db$/);

    assert.deepEqual([...await hit(40)].sort(), ['0', '1'], 'PM2 spread the hits over both instances');
    for (let i = 0; i < 20; i++) {
      const metrics = await scrape();
      assert.equal(metrics.status, 200);
      assert.deepEqual(sample(metrics.text, 'jobs_total'), [40], `scrape ${i}`);
    }
    const errors = [...logs('error').values()].join('\n');
    assert.doesNotMatch(errors, /OBS_PORT_BUSY|EADDRINUSE/);
    assert.equal(errors.match(/serving \/health/g)?.length, 1, 'exactly one instance serves');
    assert.equal(errors.match(new RegExp(`on http://127\\.0\\.0\\.1:${obsPort}`, 'g'))?.length, 1, 'on the app\'s OBSERVABILITY_PORT');
    servingInstance();
  });

  it('an instance killed mid-test: the scrape answers 200 with its count kept, /health shows it, its replacement reports', { timeout: 90_000 }, async () => {
    const serving = servingInstance();
    const other = (await instances()).find((p) => p.pm_id !== serving)!;
    const before = (await health()).find((c) => /^worker \d+: instance-db$/.test(c.name))!.name;
    const workerId = before.match(/^worker (\d+)/)![1];
    process.kill(other.pid, 'SIGKILL');

    const dead = await until('the killed instance in /health', async () =>
      (await health()).find((c) => c.name === `worker ${workerId}`));
    assert.equal(dead.status, 'unhealthy');
    assert.equal(dead.message, 'disconnected');
    for (let i = 0; i < 10; i++) {
      const metrics = await scrape();
      assert.equal(metrics.status, 200);
      assert.deepEqual(sample(metrics.text, 'jobs_total'), [40], 'what the killed instance counted stays counted');
    }

    // PM2 restarts it: a new cluster worker that reports to the same serving instance.
    await until('PM2\'s replacement in /health', async () => (await health())
      .some((c) => /^worker \d+: instance-db$/.test(c.name) && c.name !== before) || undefined);
    await hit(10);
    assert.deepEqual(sample((await scrape()).text, 'jobs_total'), [50]);
    assert.doesNotMatch([...logs('error').values()].join('\n'), /OBS_PORT_BUSY|EADDRINUSE/);
  });

  it('the serving instance killed: another takes the port over and answers', { timeout: 90_000 }, async () => {
    const serving = (await instances()).find((p) => p.pm_id === servingInstance())!;
    process.kill(serving.pid, 'SIGKILL');
    const checks = await until('a new serving instance', async () => {
      const metrics = await scrape();
      if (metrics.status !== 200 || sample(metrics.text, 'jobs_total').length !== 1) return undefined;
      const found = (await health()).map((c) => c.name).filter((name) => name.endsWith('instance-db'));
      return found.length === 2 ? found : undefined; // the winner's and PM2's replacement's
    }, 30_000);
    assert.ok(checks.includes('instance-db'), checks.join(', '));
    const errors = [...logs('error').values()].join('\n');
    assert.doesNotMatch(errors, /OBS_PORT_BUSY|EADDRINUSE/);
  });

  it('pm2 stop drains every instance: a request in flight completes; the socket goes with them', { timeout: 90_000 }, async () => {
    await instances();
    const daemon = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
    const socket = join(tmpdir(), `wizamart-obs-${daemon}-${obsPort}.sock`);
    assert.ok(existsSync(socket), socket);
    const slow = request(`${app}/slow?ms=1500`, { headers: { connection: 'close' } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await pm2(['stop', APP]);
    const reply = await slow;
    assert.deepEqual([reply.status, reply.text], [200, 'slow done']);
    assert.ok((await instances()).every((p) => p.status === 'stopped'));
    assert.equal(existsSync(socket), false, 'the serving instance removed its socket');
  });
});
