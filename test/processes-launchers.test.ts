// Issue 11: NODE_OPTIONS="--import …/register" with `npm start` / `npm run`: npm itself
// loads the preload first. It must start nothing, so the app npm launches serves the port:
// its counter on /metrics, its checks deciding /health/ready, and no busy-port warning.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { request } from './helpers/http.ts';
import { launcherOf } from '../src/processes/role.ts';
import { REGISTER, ROOT } from './helpers/process.ts';
import { freePort } from './helpers/prometheus.ts';

/** A package dir whose `start` and `serve` scripts run the fixture app with plain `node`. */
function appPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'obs-npm-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({
    name: 'npm-launched-app',
    private: true,
    type: 'module',
    scripts: { start: 'node app.mjs', serve: 'node app.mjs' },
  }));
  cpSync(join(ROOT, 'test/fixtures/processes/npm-app.mjs'), join(dir, 'app.mjs'));
  // The app imports the SDK by name, as a user's app does.
  mkdirSync(join(dir, 'node_modules/@wizamart'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules/@wizamart/observability'), 'dir');
  return dir;
}

interface Launched {
  stdout(): string;
  stderr(): string;
  waitFor(pattern: RegExp, stream: 'stdout' | 'stderr'): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/** `npm <args>` in `dir`, with the project's Node first on PATH (npm and the app both run on it). */
function npm(args: string[], dir: string, env: NodeJS.ProcessEnv): Launched {
  const child = spawn('npm', args, {
    cwd: dir,
    // Its own process group: npm -> sh -> node, all stopped together by the group id.
    detached: true,
    env: {
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
      HOME: process.env.HOME,
      npm_config_update_notifier: 'false',
      NODE_OPTIONS: `--import ${REGISTER}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
  const exited = once(child, 'exit');
  return {
    stdout: () => out,
    stderr: () => err,
    async waitFor(pattern, stream) {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const match = (stream === 'stdout' ? out : err).match(pattern);
        if (match) return match;
        if (child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no ${pattern} on ${stream}\nstdout: ${out}\nstderr: ${err}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      }
      await exited;
    },
  };
}

describe('a package manager that inherits the preload through NODE_OPTIONS', () => {
  for (const args of [['start'], ['run', 'serve'], ['exec', '-c', 'node app.mjs']]) {
    it(`npm ${args.join(' ')}: the app serves the port, npm does not`, { timeout: 60_000 }, async () => {
      const dir = appPackage();
      const port = await freePort();
      const launched = npm(args, dir, {
        OBSERVABILITY_PORT: String(port), OBSERVABILITY_HOST: '127.0.0.1', ENABLE_METRICS: 'true', APP_DB_DOWN: '1',
      });
      try {
        await launched.waitFor(/app listening/, 'stdout');
        await launched.waitFor(/serving \/health/, 'stderr');
        const url = `http://127.0.0.1:${port}`;
        const metrics = (await request(`${url}/metrics`)).text;
        assert.match(metrics, /^app_hits_total 3$/m, 'the app\'s counter is on /metrics');
        // The app's failing check decides readiness: it is the app that answers.
        const ready = await request(`${url}/health/ready`);
        assert.equal(ready.status, 503);
        const health = (await request(`${url}/health`)).json() as { checks: { name: string }[] };
        assert.ok(health.checks.some((c) => c.name === 'app-db'), 'the app\'s check is in /health');
        const stderr = launched.stderr();
        assert.doesNotMatch(stderr, /OBS_PORT_BUSY|EADDRINUSE/);
        assert.equal(stderr.match(/serving \/health/g)?.length, 1, 'exactly one process serves');
      } finally {
        await launched.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('launcherOf', () => {
  it('knows the launchers by their script, real or linked, and nothing else', () => {
    const launchers: Record<string, string> = {
      '/usr/lib/node_modules/npm/bin/npm-cli.js': 'npm',
      '/usr/bin/npm': 'npm',
      '/usr/lib/node_modules/npm/bin/npx-cli.js': 'npx',
      '/app/node_modules/.bin/pnpm': 'pnpm',
      '/usr/lib/node_modules/pnpm/bin/pnpm.cjs': 'pnpm',
      '/usr/lib/node_modules/yarn/bin/yarn.js': 'yarn',
      '/app/.yarn/releases/yarn-4.5.0.cjs': 'yarn',
      '/usr/lib/node_modules/corepack/dist/corepack.js': 'corepack',
      '/usr/lib/node_modules/corepack/dist/pnpm.js': 'corepack',
      '/app/node_modules/nodemon/bin/nodemon.js': 'nodemon',
    };
    for (const [script, tool] of Object.entries(launchers)) assert.equal(launcherOf(script), tool, script);
    for (const script of [undefined, '', '/app/server.js', '/app/npm-stats.js', '/app/src/yarn-report.mjs']) {
      assert.equal(launcherOf(script), undefined, String(script));
    }
  });
});
