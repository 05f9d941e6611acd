// Issue 11, OTLP metrics push: OTEL_METRICS_EXPORTER=otlp pushes what /metrics serves to a
// collector: the facade's series by their exact names with their values, the RED histogram
// and runtime metrics, on one resource with service.name and a per-process
// service.instance.id. Real processes under the built preload push to a receiver here
// (127.0.0.1); protobuf is decoded with OpenTelemetry's own .proto definitions.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { planMetricsExport } from '../src/telemetry/metrics-export.ts';
import { request } from './helpers/http.ts';
import { pointOf, startMetricsReceiver, type Push } from './helpers/otlp-metrics-receiver.ts';
import { REGISTER, startNode } from './helpers/process.ts';
import { freePort } from './helpers/prometheus.ts';

const APP = 'test/fixtures/push-app.mjs';
const CLUSTER_APP = 'test/fixtures/processes/cluster-app.mjs';
const THREADS_APP = 'test/fixtures/processes/threads-app.mjs';

function warnings(stderr: string, code: string): string[] {
  return stderr.split('\n').filter((line) => line.includes(`${code}:`));
}

const hasJobs = (n: number) => (push: Push): boolean => pointOf(push, 'jobs_total', { kind: 'email' })?.value === n;

describe('OTLP metrics push from a real process', () => {
  it('pushes the facade by exact names and values, the RED histogram and runtime metrics, on the resource /metrics names', { timeout: 40_000 }, async () => {
    const receiver = await startMetricsReceiver();
    const port = await freePort();
    const child = startNode(['--import', REGISTER, APP], {
      ENABLE_METRICS: 'true', OBSERVABILITY_PORT: String(port), OBSERVABILITY_HOST: '127.0.0.1', OTEL_SERVICE_NAME: 'push-app',
      OTEL_METRICS_EXPORTER: 'otlp,prometheus', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '200',
    });
    try {
      await child.waitFor(/ready/);
      const push = await receiver.waitFor((p) => hasJobs(7)(p)
        && pointOf(p, 'http_server_request_duration_seconds', { http_request_method: 'GET' })?.count === 3);
      assert.match(push.contentType, /application\/json/);

      const jobs = push.metrics.find((m) => m.name === 'jobs_total')!;
      assert.equal(jobs.kind, 'sum');
      assert.equal(jobs.isMonotonic, true);
      assert.equal(jobs.temporality, 2, 'cumulative, as /metrics serves');
      assert.equal(jobs.description, 'Jobs done');

      const sizes = pointOf(push, 'job_size_bytes')!;
      assert.equal(sizes.count, 7);
      assert.equal(sizes.sum, 350);
      assert.deepEqual(sizes.explicitBounds, [10, 100]);
      assert.deepEqual(sizes.bucketCounts, [0, 7, 0]);

      const red = push.metrics.find((m) => m.name === 'http_server_request_duration_seconds')!;
      assert.equal(red.kind, 'histogram');
      assert.equal(red.points.reduce((sum, p) => sum + (p.count ?? 0), 0), 3, 'the app\'s 3 requests, not the push\'s own');
      const cpu = push.metrics.find((m) => m.name === 'process_cpu_seconds_total')!;
      assert.equal(cpu.isMonotonic, true);
      assert.ok(cpu.points[0]!.value! > 0);
      assert.ok(push.metrics.some((m) => m.name === 'nodejs_heap_size_used_bytes' && m.kind === 'gauge'));

      assert.equal(push.resource['service.name'], 'push-app');
      const instance = push.resource['service.instance.id'];
      assert.match(String(instance), /^[0-9a-f-]{36}$/);
      // The same identity on /metrics (target_info) and in every push.
      const text = (await request(`http://127.0.0.1:${port}/metrics`, { headers: { accept: 'text/plain;version=0.0.4' } })).text;
      assert.match(text, new RegExp(`^target_info\\{.*service_instance_id="${instance}"`, 'm'));
      assert.match(text, /^jobs_total\{kind="email"\} 7$/m);
      assert.ok(receiver.pushes.every((p) => p.resource['service.instance.id'] === instance));
      assert.deepEqual(warnings(child.stderr(), 'OBS_METRICS_EXPORT_FAILED'), []);
    } finally {
      child.kill();
      await receiver.close();
    }
  });

  it('http/protobuf by default, decoded with OpenTelemetry\'s .proto; push only: /metrics is not served', { timeout: 40_000 }, async () => {
    const receiver = await startMetricsReceiver();
    const port = await freePort();
    const child = startNode(['--import', REGISTER, APP], {
      OBSERVABILITY_PORT: String(port), OBSERVABILITY_HOST: '127.0.0.1', HITS: '5',
      // No detector at all: service.instance.id is still set, by the SDK itself.
      OTEL_NODE_RESOURCE_DETECTORS: 'none',
      OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.endpoint}/v1/metrics`, OTEL_METRIC_EXPORT_INTERVAL: '200',
    });
    try {
      await child.waitFor(/ready/);
      const push = await receiver.waitFor(hasJobs(5));
      assert.match(push.contentType, /application\/x-protobuf/);
      assert.equal(push.metrics.find((m) => m.name === 'jobs_total')?.isMonotonic, true);
      assert.equal(pointOf(push, 'job_size_bytes')?.count, 5);
      assert.match(String(push.resource['service.instance.id']), /^[0-9a-f-]{36}$/);
      const scrape = await request(`http://127.0.0.1:${port}/metrics`);
      assert.equal(scrape.status, 404);
      assert.match(scrape.text, /OTLP only/);
    } finally {
      child.kill();
      await receiver.close();
    }
  });

  it('SIGTERM pushes the last values before the process ends (interval far longer than the run)', { timeout: 40_000 }, async () => {
    const receiver = await startMetricsReceiver();
    const child = startNode(['--import', REGISTER, APP], {
      OBSERVABILITY_SERVER: 'false', HITS: '9',
      OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL: '600000',
    });
    try {
      await child.waitFor(/ready/);
      assert.equal(receiver.pushes.length, 0);
      child.process.kill('SIGTERM');
      const { signal } = await child.exited();
      assert.equal(signal, 'SIGTERM');
      assert.ok(receiver.pushes.some(hasJobs(9)), `pushes: ${JSON.stringify(receiver.pushes.map((p) => pointOf(p, 'jobs_total', { kind: 'email' })))}`);
    } finally {
      child.kill();
      await receiver.close();
    }
  });

  it('a collector that never answers holds no exit: SIGTERM ends the process, with one warning naming the collector', { timeout: 40_000 }, async () => {
    const receiver = await startMetricsReceiver({ hang: true });
    const child = startNode(['--import', REGISTER, APP], {
      OBSERVABILITY_SERVER: 'false', OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL: '200',
    });
    try {
      await child.waitFor(/ready/);
      // Pushes are under way and stuck; the first one has failed by its 1 s deadline.
      await child.waitFor(/OBS_METRICS_EXPORT_FAILED/, 15_000, 'stderr');
      child.process.kill('SIGTERM');
      // A hang bound, not a timing: the shutdown grace (10 s) is far below it.
      const { signal } = await child.exited(25_000);
      assert.equal(signal, 'SIGTERM');
      const failed = warnings(child.stderr(), 'OBS_METRICS_EXPORT_FAILED');
      assert.equal(failed.length, 1, child.stderr());
      assert.match(failed[0]!, new RegExp(`${receiver.endpoint}/v1/metrics`));
    } finally {
      child.kill();
      await receiver.close();
    }
  });

  it('a script that ends on its own is not held by a collector that never answers', { timeout: 40_000 }, async () => {
    const receiver = await startMetricsReceiver({ hang: true });
    const child = startNode(['--import', REGISTER, APP], {
      // Metrics only (spans have an exit flush of their own), pushed more often than a push times out:
      // a push is always under way, and none may hold the exit.
      OBSERVABILITY_SERVER: 'false', END_AFTER_MS: '600', OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.endpoint}/v1/metrics`, OTEL_METRIC_EXPORT_INTERVAL: '100',
    });
    try {
      // It ends 600 ms after `ready`, with pushes stuck under way (5 s timeout).
      const { code } = await child.exited(20_000);
      assert.equal(code, 0, child.stderr());
      assert.ok(receiver.requests > 0, 'pushes were under way');
    } finally {
      child.kill();
      await receiver.close();
    }
  });

  it('an unknown OTEL_METRICS_EXPORTER value: one warning naming it and the fallback; /metrics still served', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const child = startNode(['--import', REGISTER, APP], {
      ENABLE_METRICS: 'true', OBSERVABILITY_PORT: String(port), OBSERVABILITY_HOST: '127.0.0.1', OTEL_METRICS_EXPORTER: 'prometheus-push',
    });
    try {
      await child.waitFor(/ready/);
      const text = (await request(`http://127.0.0.1:${port}/metrics`)).text;
      assert.match(text, /^jobs_total\{kind="email"\} 7$/m);
      const lines = child.stderr().split('\n').filter((line) => line.includes('OTEL_METRICS_EXPORTER'));
      assert.equal(lines.length, 1, child.stderr());
      assert.match(lines[0]!, /OBS_OTEL_ENV: OTEL_METRICS_EXPORTER: unsupported exporter\(s\) prometheus-push ignored; using prometheus \(the default\)/);
    } finally {
      child.kill();
    }
  });
});

describe('OTLP metrics push from node:cluster', () => {
  it('the primary alone pushes the aggregate: a counter hit 20 times across 2 workers reads 20, from one service.instance.id', { timeout: 60_000 }, async () => {
    const receiver = await startMetricsReceiver();
    const port = await freePort();
    const child = startNode(['--import', REGISTER, CLUSTER_APP], {
      OBSERVABILITY_PORT: String(port), OBSERVABILITY_HOST: '127.0.0.1',
      OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '200',
    });
    try {
      const [, appPort] = await child.waitFor(/cluster ready on (\d+)/, 20_000);
      for (let i = 0; i < 20; i++) await request(`http://127.0.0.1:${appPort}/hit`, { headers: { connection: 'close' } });
      const push = await receiver.waitFor((p) => pointOf(p, 'jobs_total')?.value === 20);
      assert.equal(pointOf(push, 'job_size_bytes')?.count, 20);
      // Runtime per process, as on /metrics: the primary's and each worker's.
      const workers = new Set(push.metrics.find((m) => m.name === 'process_cpu_seconds_total')?.points.map((p) => p.attributes.worker));
      assert.deepEqual([...workers].sort(), ['1', '2', 'primary']);
      const instances = new Set(receiver.pushes.map((p) => p.resource['service.instance.id']));
      const pids = new Set(receiver.pushes.map((p) => p.resource['process.pid']));
      assert.equal(instances.size, 1, 'only the primary pushes');
      assert.deepEqual([...pids], [child.process.pid]);
    } finally {
      child.kill();
      await receiver.close();
    }
  });
});

describe('OTLP metrics push from node:cluster at shutdown', () => {
  it('SIGTERM: the workers drain and exit first, then the primary pushes the total, theirs included', { timeout: 60_000 }, async () => {
    const receiver = await startMetricsReceiver();
    const port = await freePort();
    const child = startNode(['--import', REGISTER, CLUSTER_APP], {
      OBSERVABILITY_PORT: String(port), OBSERVABILITY_HOST: '127.0.0.1',
      OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '600000',
    });
    try {
      const [, appPort] = await child.waitFor(/cluster ready on (\d+)/, 20_000);
      for (let i = 0; i < 12; i++) await request(`http://127.0.0.1:${appPort}/hit`, { headers: { connection: 'close' } });
      assert.equal(receiver.pushes.length, 0);
      child.process.kill('SIGTERM');
      const { signal } = await child.exited(30_000);
      assert.equal(signal, 'SIGTERM');
      assert.equal(receiver.pushes.length, 1, 'one push, from the primary');
      assert.equal(pointOf(receiver.pushes[0]!, 'jobs_total')?.value, 12);
    } finally {
      child.kill();
      await receiver.close();
    }
  });
});

describe('OTLP metrics push from other process models', () => {
  it('a primary without the SDK (as PM2\'s daemon): the elected worker alone pushes the aggregate', { timeout: 60_000 }, async () => {
    const receiver = await startMetricsReceiver();
    const port = await freePort();
    const child = startNode([CLUSTER_APP], {
      WORKERS_PRELOAD: REGISTER, OBSERVABILITY_PORT: String(port), OBSERVABILITY_HOST: '127.0.0.1',
      OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '200',
    });
    try {
      const [, appPort] = await child.waitFor(/cluster ready on (\d+)/, 20_000);
      await child.waitFor(/serving \/health/, 10_000, 'stderr');
      // The loser reports to the winner once connected: wait until both workers count.
      for (let i = 0; i < 20; i++) await request(`http://127.0.0.1:${appPort}/hit`, { headers: { connection: 'close' } });
      await receiver.waitFor((p) => pointOf(p, 'jobs_total')?.value === 20);
      const pids = new Set(receiver.pushes.map((p) => p.resource['process.pid']));
      assert.equal(pids.size, 1, `one worker pushes: ${[...pids].join(', ')}`);
      assert.notEqual([...pids][0], child.process.pid, 'not the daemon');
      assert.match(child.stdout(), new RegExp(`pid ${[...pids][0]} listening`));
    } finally {
      child.kill();
      await child.exited();
      await receiver.close();
      await new Promise((resolve) => setTimeout(resolve, 300)); // the orphaned workers end on the lost channel
      rmSync(join(tmpdir(), `wizamart-obs-${child.process.pid}-${port}.sock`), { force: true });
    }
  });

  it('worker_threads: what threads count reaches the main thread\'s push; threads never push', { timeout: 60_000 }, async () => {
    const receiver = await startMetricsReceiver();
    const child = startNode(['--import', REGISTER, THREADS_APP], {
      OBSERVABILITY_SERVER: 'false',
      OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '200',
    });
    try {
      await child.waitFor(/long thread counted/);
      const push = await receiver.waitFor((p) => pointOf(p, 'thread_jobs_total')?.value === 8);
      assert.equal(pointOf(push, 'thread_job_seconds')?.count, 8);
      const instances = new Set(receiver.pushes.map((p) => p.resource['service.instance.id']));
      assert.equal(instances.size, 1, 'only the main thread pushes');
    } finally {
      child.kill();
      await receiver.close();
    }
  });
});

describe('planMetricsExport', () => {
  const plan = (env: NodeJS.ProcessEnv) => {
    const warned: string[] = [];
    return { ...planMetricsExport(env, (code, message) => { warned.push(`${code}: ${message}`); }), warned };
  };

  it('default: /metrics only, no push', () => {
    assert.deepEqual(plan({}), { scrape: true, push: undefined, warned: [] });
  });

  it('otlp: /v1/metrics appended to the general endpoint, the specific one used as is, protocol and interval read', () => {
    const general = plan({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' });
    assert.equal(general.scrape, false);
    assert.equal(general.push?.url, 'http://collector:4318/v1/metrics');
    assert.equal(general.push?.protocol, 'http/protobuf', 'the traces protocol is not the metrics one');
    assert.equal(general.push?.intervalMillis, 60_000);
    const specific = plan({
      OTEL_METRICS_EXPORTER: 'otlp,prometheus', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://b:9999/m',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json', OTEL_METRIC_EXPORT_INTERVAL: '15000', OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-key=abc',
    });
    assert.equal(specific.scrape, true);
    assert.deepEqual(specific.push, { protocol: 'http/json', url: 'http://b:9999/m', headers: { 'x-key': 'abc' }, timeoutMillis: 10_000, intervalMillis: 15_000 });
  });

  it('none: neither; bad values warn and name the fallback', () => {
    assert.deepEqual(plan({ OTEL_METRICS_EXPORTER: 'none' }), { scrape: false, push: undefined, warned: [] });
    const unknown = plan({ OTEL_METRICS_EXPORTER: 'otlp,statsd' });
    assert.equal(unknown.push?.url, undefined, 'the OTLP default (localhost)');
    assert.deepEqual(unknown.warned, ['OBS_OTEL_ENV: OTEL_METRICS_EXPORTER: unsupported exporter(s) statsd ignored; using otlp; supported: otlp, prometheus, none']);
    assert.deepEqual(plan({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta' }).warned,
      ['OBS_OTEL_ENV: OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE="delta" is not supported; pushing cumulative']);
    const badUrl = plan({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'collector:4318' });
    assert.equal(badUrl.push, undefined);
    assert.match(badUrl.warned[0]!, /OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="collector:4318" is not an http\(s\) URL; metrics are not exported over OTLP/);
  });
});
