// The zero-code collectors through a running pipeline: HTTP RED metrics from
// diagnostics_channel (express routes, plain servers, our own server left out), runtime
// metrics and health results read at scrape.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import http from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { resetWarnings } from '../src/warnings.ts';
import { type MetricsOptions, metricsRegistry, startMetrics } from '../src/metrics/index.ts';
import type { HealthResultLike } from '../src/metrics/health.ts';
import { captureStderr } from './helpers/stderr.ts';
import { pipelineOptions } from './helpers/metrics-pipeline.ts';
import { closeServer, listen } from './helpers/http.ts';

interface Scraper {
  scrape(): Promise<string>;
  close(): Promise<void>;
}

async function startScraper(overrides: Partial<MetricsOptions> = {}): Promise<Scraper> {
  const own = http.createServer((req, res) => void pipeline.handle(req, res));
  const pipeline = startMetrics({ ...pipelineOptions(own), ...overrides });
  const url = await listen(own);
  return {
    scrape: async () => (await fetch(`${url}/metrics`)).text(),
    close: async () => {
      await pipeline.shutdown();
      await closeServer(own);
    },
  };
}

/** Value of one sample line, e.g. sample(text, 'x_count{a="b"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const COUNT = 'http_server_request_duration_seconds_count';

describe('HTTP server RED metrics', () => {
  test('express: the matched route (with the mounted router prefix), never the raw path', async () => {
    const express = ((await import('express' as string)) as { default: (...a: unknown[]) => ExpressApp }).default;
    const scraper = await startScraper();
    const app = express();
    const router = (express as unknown as { Router(): ExpressApp }).Router();
    router.get('/items/:id', async (_req: unknown, res: { send(b: string): void }) => {
      await sleep(5);
      res.send('item');
    });
    app.get('/api/products/:id', (_req: unknown, res: { status(c: number): { send(b: string): void } }) => res.status(201).send('p'));
    app.use('/shop', router);
    const server = http.createServer(app as unknown as http.RequestListener);
    const url = await listen(server);
    try {
      for (const path of ['/api/products/1', '/api/products/2', '/shop/items/9', '/nowhere/42']) {
        await (await fetch(url + path)).text();
      }
      const text = await scraper.scrape();
      assert.equal(sample(text, `${COUNT}{http_request_method="GET",http_route="/api/products/:id",http_response_status_code="201"}`), 2, text);
      assert.equal(sample(text, `${COUNT}{http_request_method="GET",http_route="/shop/items/:id",http_response_status_code="200"}`), 1, text);
      assert.equal(sample(text, `${COUNT}{http_request_method="GET",http_route="",http_response_status_code="404"}`), 1, text);
      assert.doesNotMatch(text, /products\/1|items\/9|nowhere/);
    } finally {
      await closeServer(server);
      await scraper.close();
    }
  });

  test("fastify 5: the route its diagnostics channel announces (fastify's documented message, simulated)", async () => {
    const scraper = await startScraper();
    // What fastify 5 publishes before running a handler: its Request wraps node's as `raw`.
    const handlerStart = channel('tracing:fastify.request.handler:start');
    const server = http.createServer((req, res) => {
      handlerStart.publish({ request: { raw: req }, reply: {}, route: { url: '/users/:id', method: 'GET' } });
      res.end('user');
    });
    const url = await listen(server);
    try {
      await (await fetch(`${url}/users/17`)).text();
      const text = await scraper.scrape();
      assert.equal(sample(text, `${COUNT}{http_request_method="GET",http_route="/users/:id",http_response_status_code="200"}`), 1, text);
    } finally {
      await closeServer(server);
      await scraper.close();
    }
  });

  test('plain node:http: method and status, route ""; requests to our own server are not counted', async () => {
    const scraper = await startScraper();
    const server = http.createServer((req, res) => {
      res.statusCode = req.method === 'POST' ? 500 : 200;
      res.end();
    });
    const url = await listen(server);
    try {
      await (await fetch(url, { method: 'POST', body: 'x' })).text();
      await (await fetch(url)).text();
      await scraper.scrape();
      await scraper.scrape();
      const text = await scraper.scrape();
      assert.equal(sample(text, `${COUNT}{http_request_method="POST",http_route="",http_response_status_code="500"}`), 1, text);
      assert.equal(sample(text, `${COUNT}{http_request_method="GET",http_route="",http_response_status_code="200"}`), 1, text);
      const total = text.split('\n').filter((l) => l.startsWith(COUNT)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      assert.equal(total, 2, 'three scrapes of /metrics were not counted');
      const sum = sample(text, `http_server_request_duration_seconds_sum{http_request_method="GET",http_route="",http_response_status_code="200"}`);
      assert.ok(sum !== undefined && sum > 0 && sum < 1, `duration ${sum}s`);
    } finally {
      await closeServer(server);
      await scraper.close();
    }
  });

  test('after shutdown, requests are no longer observed', async () => {
    const first = await startScraper();
    await first.close();
    const server = http.createServer((_req, res) => res.end());
    const url = await listen(server);
    const second = await startScraper();
    try {
      await second.close(); // a fresh pipeline counts from zero; stop it before the request
      await (await fetch(url)).text();
      const third = await startScraper();
      const text = await third.scrape();
      await third.close();
      // Series of earlier pipelines may remain (zeroed, as bound series survive restarts); none may count.
      const counted = text.split('\n').filter((l) => l.startsWith(COUNT) && !l.endsWith(' 0'));
      assert.deepEqual(counted, []);
    } finally {
      await closeServer(server);
    }
  });
});

describe('runtime metrics', () => {
  test('are read at scrape time and look sane', async () => {
    const scraper = await startScraper();
    try {
      await scraper.scrape();
      await sleep(30); // the sampler skips its first interval after the scrape's reset
      const busyUntil = Date.now() + 100;
      const garbage: unknown[] = [];
      while (Date.now() < busyUntil) garbage.push({ n: garbage.length }); // blocks the loop (lag) and allocates (minor GCs)
      garbage.length = 0;
      await sleep(30);
      const text = await scraper.scrape();
      const start = sample(text, 'process_start_time_seconds') as number;
      assert.ok(Math.abs(start - (Date.now() / 1000 - process.uptime())) < 2, `start time ${start}`);
      assert.ok((sample(text, 'process_cpu_seconds_total') as number) > 0);
      assert.ok((sample(text, 'process_resident_memory_bytes') as number) > 1e6);
      assert.ok((sample(text, 'nodejs_heap_size_used_bytes') as number) > 1e5);
      assert.ok((sample(text, 'nodejs_eventloop_lag_max_seconds') as number) >= 0.02, text);
      const elu = sample(text, 'nodejs_eventloop_utilization_ratio') as number;
      assert.ok(elu > 0 && elu <= 1, `elu ${elu}`);
      assert.match(text, /^nodejs_active_resources\{type="TCPServerWrap"\} [1-9]/m);
      assert.match(text, new RegExp(`^nodejs_version_info\\{version="${process.version}",major="\\d+",minor="\\d+",patch="\\d+"\\} 1$`, 'm'));
      assert.ok((sample(text, 'nodejs_gc_duration_seconds_count{kind="minor"}') ?? 0) > 0, text);
    } finally {
      await scraper.close();
    }
  });
});

describe('health metrics', () => {
  test('mirror the latest results at scrape, follow removals, and survive a throwing provider', async () => {
    let results: HealthResultLike[] = [
      { name: 'database', status: 'healthy', latency_ms: 4 },
      { name: 'redis', status: 'degraded', latency_ms: 250, critical: false },
      { name: 'module:billing', status: 'unhealthy', latency_ms: 1000 },
    ];
    let calls = 0;
    let broken = false;
    const scraper = await startScraper({
      healthResults: () => {
        calls++;
        if (broken) throw new Error('registry gone');
        return results;
      },
    });
    try {
      let text = await scraper.scrape();
      assert.equal(calls, 1, 'read once per scrape');
      assert.equal(sample(text, 'health_check_status{check="database",critical="true"}'), 1);
      assert.equal(sample(text, 'health_check_status{check="redis",critical="false"}'), 0.5);
      assert.equal(sample(text, 'health_check_status{check="module:billing",critical="true"}'), 0);
      assert.equal(sample(text, 'health_check_duration_seconds{check="redis"}'), 0.25);
      results = [{ name: 'database', status: 'unhealthy', latency_ms: 2 }];
      text = await scraper.scrape();
      assert.equal(sample(text, 'health_check_status{check="database",critical="true"}'), 0);
      assert.equal(sample(text, 'health_check_status{check="redis",critical="false"}'), undefined);
      broken = true;
      text = await scraper.scrape();
      assert.equal(sample(text, 'health_check_status{check="database",critical="true"}'), 0, 'last values kept');
    } finally {
      await scraper.close();
    }
  });
});

describe('pipeline robustness', () => {
  test('a collector whose metric name the app took with another shape is skipped with one warning', async () => {
    resetWarnings();
    // Declared by pipelines of earlier tests in this process.
    metricsRegistry.removeMetric('health_check_status');
    metricsRegistry.removeMetric('health_check_duration_seconds');
    metricsRegistry.gauge('health_check_status', 'My own health gauge', ['service']);
    try {
      const { result: scraper, stderr } = await captureStderr(() => startScraper());
      try {
        assert.match(
          stderr,
          /health metrics are off: Metric "health_check_status" is already declared as a gauge, help "My own health gauge", labels \[service\]/,
        );
        const text = await scraper.scrape();
        assert.match(text, /^process_cpu_seconds_total /m, 'the other collectors run');
        assert.doesNotMatch(text, /health_check_duration_seconds\{/);
      } finally {
        await scraper.close();
      }
    } finally {
      metricsRegistry.removeMetric('health_check_status');
    }
  });

  test('a running pipeline does not keep the process alive (every timer and sampler is unref)', async () => {
    const metricsUrl = pathToFileURL(join(import.meta.dirname, '../src/metrics/index.ts')).href;
    const script = `
      import http from 'node:http';
      import { startMetrics } from '${metricsUrl}';
      import { pipelineOptions } from '${pathToFileURL(join(import.meta.dirname, 'helpers/metrics-pipeline.ts')).href}';
      const server = http.createServer((req, res) => void pipeline.handle(req, res));
      const pipeline = startMetrics({ ...pipelineOptions(server), cardinalityLimit: 10 });
      server.listen(0, '127.0.0.1', async () => {
        const text = await (await fetch('http://127.0.0.1:' + server.address().port + '/metrics')).text();
        server.closeAllConnections();
        server.close();
        console.log(text.includes('nodejs_eventloop_utilization_ratio') ? 'scraped' : 'not scraped');
      });`;
    const flags = process.execArgv.filter((a) => a.startsWith('--experimental-strip-types') || a.startsWith('--no-warnings'));
    const started = Date.now();
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [...flags, '--input-type=module', '-e', script], { timeout: 10_000 }, (err, out) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: out }),
      );
    });
    assert.equal(code, 0);
    assert.equal(stdout, 'scraped\n');
    assert.ok(Date.now() - started < 5000, `exited after ${Date.now() - started} ms`);
  });
});

interface ExpressApp {
  get(path: string, ...handlers: unknown[]): void;
  use(path: string, router: unknown): void;
}
