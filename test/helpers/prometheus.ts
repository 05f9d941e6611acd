// Real Prometheus tooling for the metrics tests: `promtool check metrics` and a
// Prometheus server on loopback scraping a target. Both come from the Debian package
// `prometheus` (`npm run setup:system` installs it). Missing, the tests fail: never a silent skip.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function has(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Throws, naming what to install, unless every binary is on the PATH. */
export function requireBinaries(...binaries: string[]): void {
  const absent = binaries.filter((b) => !has(b));
  if (absent.length > 0) {
    throw new Error(`${absent.join(' and ')} not installed: run \`npm run setup:system\` (Debian package prometheus)`);
  }
}

export interface PromtoolResult {
  code: number | null;
  /** promtool's findings (it reports lint problems on stderr). */
  output: string;
}

/** Runs `promtool check metrics` on `text`: code 0 clean, 3 lint problems, 1 parse error. */
export function promtoolCheck(text: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface PrometheusServer {
  url: string;
  /** Polls the targets API until the target's last scrape succeeded (first scrape takes ~5-6 s). */
  waitForScrape(timeoutMs?: number): Promise<void>;
  /** Instant query; returns the result vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Stored exemplars of the series `selector` selects, over the last hour (needs feature `exemplar-storage`). */
  queryExemplars(selector: string): Promise<ExemplarSeries[]>;
  stop(): Promise<void>;
}

export interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

/**
 * Starts Prometheus on 127.0.0.1 scraping http://127.0.0.1:<targetPort>/metrics every second.
 * `features`: values for --enable-feature, e.g. 'exemplar-storage'.
 */
export async function startPrometheus(targetPort: number, { features = [] as string[] } = {}): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-test-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: sdk',
      `    static_configs: [{ targets: ['127.0.0.1:${targetPort}'] }]`,
      '',
    ].join('\n'),
  );
  let log = '';
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...features.map((feature) => `--enable-feature=${feature}`),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const api = async (path: string): Promise<unknown> => {
    const response = await fetch(url + path, { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as { status: string; data: unknown };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${JSON.stringify(body)}`);
    return body.data;
  };

  const poll = async <T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${log}`);
      try {
        const result = await attempt();
        if (result !== undefined) return result;
      } catch (err) {
        last = err;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`timed out waiting for ${what}; last: ${String(last)}; prometheus log: ${log}`);
  };

  try {
    await poll('Prometheus to be ready', 15_000, async () => {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      return response.ok ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url,
    stop,
    waitForScrape: async (timeoutMs = 20_000) => {
      await poll('a successful scrape', timeoutMs, async () => {
        const data = (await api('/api/v1/targets')) as { activeTargets: { health: string; lastError: string }[] };
        const target = data.activeTargets[0];
        // Thrown so the timeout message carries Prometheus' reason; polling goes on.
        if (target?.health === 'down') throw new Error(`scrape failed: ${target.lastError}`);
        return target?.health === 'up' ? true : undefined;
      });
    },
    query: async (expr) => {
      const data = (await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)) as {
        result: { metric: Record<string, string>; value: [number, string] }[];
      };
      return data.result;
    },
    queryExemplars: async (selector) => {
      const end = Date.now() / 1000;
      return (await api(`/api/v1/query_exemplars?query=${encodeURIComponent(selector)}&start=${end - 3600}&end=${end + 60}`)) as ExemplarSeries[];
    },
  };
}
