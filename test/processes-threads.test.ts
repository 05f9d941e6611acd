// Issue 11, worker_threads: threads inherit the preload (execArgv) but never bind the port,
// and what they record through the facade reaches the main thread's /metrics, whether the
// thread still lives or has already ended.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from './helpers/http.ts';
import { startOtlpReceiver } from './helpers/otlp-receiver.ts';
import { REGISTER, startNode } from './helpers/process.ts';
import { freePort, promtoolCheck, requireBinaries } from './helpers/prometheus.ts';

function sample(text: string, series: string): number[] {
  const escaped = series.replace(/[{}"=\\]/g, (c) => `\\${c}`);
  return [...text.matchAll(new RegExp(`^${escaped} (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
}

describe('worker_threads under the preload', () => {
  it('threads never serve; what they counted shows on the main thread\'s /metrics', { timeout: 60_000 }, async () => {
    requireBinaries('promtool');
    const port = await freePort();
    const child = startNode(['--import', REGISTER, 'test/fixtures/processes/threads-app.mjs'], {
      OBSERVABILITY_PORT: String(port), OBSERVABILITY_HOST: '127.0.0.1', ENABLE_METRICS: 'true',
    });
    try {
      await child.waitFor(/long thread counted/, 20_000);
      const url = `http://127.0.0.1:${port}`;
      for (let scrape = 0; scrape < 5; scrape++) {
        const text = (await request(`${url}/metrics`, { headers: { accept: 'text/plain;version=0.0.4' } })).text;
        // 5 from the thread that ended, 3 from the one that lives.
        assert.deepEqual(sample(text, 'thread_jobs_total'), [8], `scrape ${scrape}`);
        assert.deepEqual(sample(text, 'thread_job_seconds_count'), [8]);
        assert.deepEqual(sample(text, 'thread_job_seconds_bucket{le="0.1"}'), [8]);
        if (scrape === 0) {
          assert.match(text, /^# HELP thread_jobs_total Jobs done in worker threads$/m);
          assert.equal(sample(text, 'process_resident_memory_bytes').length, 1, 'one process: runtime once, unlabelled');
          const lint = await promtoolCheck(text);
          assert.equal(lint.code, 0, lint.output);
        }
      }
      const stderr = child.stderr();
      assert.doesNotMatch(stderr, /OBS_PORT_BUSY|EADDRINUSE/);
      assert.equal(stderr.match(/serving \/health/g)?.length, 1, 'only the main thread serves');
    } finally {
      child.kill();
    }
  });
});

describe('spans in worker threads', () => {
  it('a thread that records a span and ends delivers it', { timeout: 60_000 }, async () => {
    const receiver = await startOtlpReceiver();
    const child = startNode(['--import', REGISTER, 'test/fixtures/processes/threads-spans.mjs'], {
      OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1',
      OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_SERVICE_NAME: 'threads-test',
    });
    try {
      await child.waitFor(/thread ended/, 20_000);
      const spans = await receiver.waitFor((all) => all.some((s) => s.name === 'job in a thread'), 10_000);
      const span = spans.find((s) => s.name === 'job in a thread')!;
      assert.equal(span.resource['service.name'], 'threads-test');
      assert.doesNotMatch(child.stderr(), /OBS_PORT_BUSY|EADDRINUSE/);
    } finally {
      child.kill();
      await receiver.close();
    }
  });
});
