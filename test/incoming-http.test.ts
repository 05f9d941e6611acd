// One view of incoming HTTP (src/http/incoming.ts), through real apps under the preload:
// RED metrics carry the same route as the server spans whatever the framework; requests
// answered by the SDK (its own server, or healthRouter on the app's port) are neither
// counted nor traced; shutdown stops every subscription it made.

import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { initObservability, shutdownObservability } from '../src/index.ts';
import { request } from './helpers/http.ts';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.ts';
import { REGISTER, startNode, type Child } from './helpers/process.ts';

const APP = 'test/fixtures/frameworks-app.mjs';
const COUNT = 'http_server_request_duration_seconds_count';

interface App {
  child: Child;
  app: string;
  sdk: string;
}

async function startApp(env: NodeJS.ProcessEnv): Promise<App> {
  const child = startNode(['--import', REGISTER, APP], {
    ENABLE_METRICS: 'true', OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1', OTEL_BSP_SCHEDULE_DELAY: '100', ...env,
  });
  try {
    const [, port] = await child.waitFor(/listening on port (\d+)/);
    const [, sdk] = await child.waitFor(/serving .* on (http:\/\/\S+)/, 15_000, 'stderr');
    return { child, app: `http://127.0.0.1:${port}`, sdk: sdk! };
  } catch (error) {
    child.kill();
    throw error;
  }
}

/** The value of one sample line, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function requestCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${COUNT}{`)) continue;
    counts.set(line.slice(COUNT.length, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

describe('RED metrics and spans share one route, whatever the framework', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(() => receiver.close());

  for (const framework of ['koa', 'fastify', 'express']) {
    it(`${framework}: /users/:id on the series and on the span`, async () => {
      const service = `route-${framework}`;
      const { child, app, sdk } = await startApp({
        FRAMEWORK: framework, OTEL_SERVICE_NAME: service,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      });
      try {
        for (const id of ['1', '2', '3']) assert.equal((await request(`${app}/users/${id}`)).status, 200);
        const text = (await request(`${sdk}/metrics`)).text;
        assert.deepEqual([...requestCounts(text)],
          [['{http_request_method="GET",http_route="/users/:id",http_response_status_code="200"}', 3]], text);
        if (framework !== 'fastify') {
          // No fastify instrumentation in auto-instrumentations 0.82: its spans carry no route (the series does).
          const spans = await receiver.waitFor((all) => all.filter((s) => s.resource['service.name'] === service && s.kind === 2).length >= 3);
          const server = spans.filter((s) => s.resource['service.name'] === service && s.kind === 2);
          assert.deepEqual([...new Set(server.map((s) => s.attributes['http.route']))], ['/users/:id']);
        }
      } finally {
        child.kill();
      }
    });
  }
});

describe("the SDK's own traffic", () => {
  it('healthRouter on the app port: /health and /metrics are neither counted nor traced', async () => {
    const receiver = await startOtlpReceiver();
    const { child, app } = await startApp({
      FRAMEWORK: 'express', OTEL_SERVICE_NAME: 'own-traffic',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    try {
      for (const path of ['/health', '/health/ready', '/health/live', '/metrics', '/users/7']) {
        assert.equal((await request(`${app}${path}`)).status, 200, path);
      }
      const text = (await request(`${app}/metrics`)).text;
      const counts = requestCounts(text);
      assert.deepEqual([...counts], [['{http_request_method="GET",http_route="/users/:id",http_response_status_code="200"}', 1]], text);
      await receiver.waitFor((spans) => spans.some((s) => s.kind === 2));
      await new Promise((resolve) => setTimeout(resolve, 300)); // a later batch would hold any own span
      const server = receiver.spans.filter((s) => s.kind === 2);
      assert.deepEqual(server.map((s) => s.attributes['url.path']), ['/users/7']);
    } finally {
      child.kill();
      await receiver.close();
    }
  });

  it('shutdown stops every subscription it made on the HTTP channels', async () => {
    const start = channel('http.server.request.start');
    const finish = channel('http.server.response.finish');
    assert.equal(start.hasSubscribers, false);
    await initObservability({ enableMetrics: true, port: 0, host: '127.0.0.1', env: {} });
    assert.equal(start.hasSubscribers, true);
    assert.equal(finish.hasSubscribers, true);
    await shutdownObservability();
    assert.equal(start.hasSubscribers, false);
    assert.equal(finish.hasSubscribers, false);
  });
});

describe('one service identity', () => {
  const cases: Array<{ name: string; env: NodeJS.ProcessEnv; expected: string }> = [
    { name: 'OTEL_SERVICE_NAME', env: { OTEL_SERVICE_NAME: 'from-env' }, expected: 'from-env' },
    { name: "the app's package.json name", env: {}, expected: '@wizamart/observability' },
  ];
  for (const { name, env, expected } of cases) {
    it(`target_info and span resources agree: ${name}`, async () => {
      const receiver = await startOtlpReceiver();
      const { child, app, sdk } = await startApp({
        FRAMEWORK: 'express', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', ...env,
      });
      try {
        await request(`${app}/users/1`);
        const [span] = await receiver.waitFor((spans) => spans.length > 0);
        const text = (await request(`${sdk}/metrics`)).text;
        const info = /^target_info\{(.*)\} 1$/m.exec(text)?.[1] ?? '';
        assert.equal(span!.resource['service.name'], expected);
        assert.match(info, new RegExp(`(^|,)service_name="${expected.replace(/[/@.]/g, '\\$&')}"`));
        assert.match(info, new RegExp(`service_instance_id="${span!.resource['service.instance.id']}"`));
        assert.doesNotMatch(info, /process_command_args/, 'the command line stays out: it carries secrets');
        assert.equal(span!.resource['process.command_args'], undefined);
      } finally {
        child.kill();
        await receiver.close();
      }
    });
  }

  it('the serviceName option reaches /metrics', async () => {
    const started = await initObservability({ enableMetrics: true, serviceName: 'from-option', port: 0, host: '127.0.0.1', env: {} });
    try {
      const text = (await request(`http://127.0.0.1:${started.server!.port}/metrics`)).text;
      assert.match(text, /^target_info\{service_name="from-option",/m);
    } finally {
      await shutdownObservability();
    }
  });
});

describe("the SDK's own metric families are not cut by the user's cap", () => {
  it('METRICS_CARDINALITY_LIMIT=2 leaves every heap space and HTTP route, with no overflow and no warning', async () => {
    const { child, app, sdk } = await startApp({ FRAMEWORK: 'express', METRICS_CARDINALITY_LIMIT: '2' });
    try {
      for (const path of ['/users/1', '/nope', '/health']) await request(`${app}${path}`);
      const text = (await request(`${sdk}/metrics`)).text;
      const spaces = text.split('\n').filter((l) => l.startsWith('nodejs_heap_space_size_used_bytes{'));
      assert.ok(spaces.length > 2, text);
      assert.doesNotMatch(text, /otel_metric_overflow/);
      assert.equal(sample(text, `${COUNT}{http_request_method="GET",http_route="",http_response_status_code="404"}`), 1, text);
      assert.doesNotMatch(child.stderr(), /OBS_CARDINALITY_LIMIT/);
    } finally {
      child.kill();
    }
  });
});
