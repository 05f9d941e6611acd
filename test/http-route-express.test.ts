// http_route for express 5 without tracing: the route comes from the templates the app
// registered, through mounted, nested and parameterised routers, never from the URL
// (issue 16, defect 7). Real express, real HTTP, the real /metrics.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startMetrics } from '../src/metrics/index.ts';
import { closeServer, listen, request } from './helpers/http.ts';
import { pipelineOptions } from './helpers/metrics-pipeline.ts';
import { startOtlpReceiver } from './helpers/otlp-receiver.ts';
import { REGISTER, startNode } from './helpers/process.ts';
import { parseExposition, type Sample } from './helpers/scrape.ts';
// @ts-expect-error: a plain ES module fixture, without types
import { EXPECTED as expected, buildApp as build } from './fixtures/express-routes-app.mjs';

const EXPECTED = expected as [string, string, number][];
const buildApp = build as (express: Express) => http.RequestListener;

interface Express {
  (): unknown;
  Router(options?: { mergeParams?: boolean }): unknown;
}

const COUNT = 'http_server_request_duration_seconds_count';

describe('http_route for express 5 (no tracing): templates, never raw paths', () => {
  let server: http.Server;
  let own: http.Server;
  let pipeline: ReturnType<typeof startMetrics>;
  let url: string;
  let samples: Sample[];
  let text: string;

  before(async () => {
    const express = ((await import('express' as string)) as { default: Express }).default;
    own = http.createServer((req, res) => void pipeline.handle(req, res));
    pipeline = startMetrics(pipelineOptions(own));
    const metricsUrl = await listen(own);
    server = http.createServer(buildApp(express));
    url = await listen(server);
    for (const [path] of EXPECTED) await (await fetch(url + path)).text();
    // The shape: many users on one mounted, parameterised router.
    for (let i = 0; i < 60; i++) await (await fetch(`${url}/users/u${1000 + i}/orders`)).text();
    text = await (await fetch(`${metricsUrl}/metrics`)).text();
    samples = parseExposition(text).samples.filter((s) => s.name === COUNT);
  });

  after(async () => {
    await closeServer(server);
    await pipeline.shutdown();
    await closeServer(own);
  });

  for (const [path, route, status] of EXPECTED) {
    test(`${path} -> http_route=${JSON.stringify(route)}`, () => {
      const series = samples.filter((s) => s.labels.http_route === route && s.labels.http_response_status_code === String(status));
      assert.equal(series.length, 1, `one series for ${route} ${status}: ${JSON.stringify(samples)}`);
    });
  }

  test('62 requests for 62 users are one series; no id from a URL is in any label', () => {
    const users = samples.find((s) => s.labels.http_route === '/users/:uid/orders');
    assert.equal(users?.value, 62);
    for (const s of samples) {
      assert.doesNotMatch(s.labels.http_route ?? '', /u\d|o9|s1|o1|acme|p1|\/12$|nowhere|report/, JSON.stringify(s.labels));
    }
    const total = samples.reduce((sum, s) => sum + s.value, 0);
    assert.equal(total, EXPECTED.length + 60, 'every request counted once');
  });
});

describe('with tracing on, the OpenTelemetry express instrumentation names the same routes', () => {
  test('each span\'s http.route is the route the series carries without tracing', async () => {
    const receiver = await startOtlpReceiver();
    const child = startNode(['--import', REGISTER, 'test/fixtures/express-routes-app.mjs'], {
      ENABLE_METRICS: 'true', OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1', OTEL_SERVICE_NAME: 'express-routes',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    try {
      const [, port] = await child.waitFor(/listening on port (\d+)/);
      const routed = EXPECTED.filter(([, route]) => route !== '');
      for (const [path] of routed) await request(`http://127.0.0.1:${port}${path}`);
      const spans = await receiver.waitFor((all) => all.filter((s) => s.kind === 2).length >= routed.length);
      const byPath = new Map(spans.filter((s) => s.kind === 2).map((s) => [s.attributes['url.path'], s.attributes['http.route']]));
      assert.deepEqual(routed.map(([path]) => [path, byPath.get(path)]), routed.map(([path, route]) => [path, route]));
    } finally {
      child.kill();
      await receiver.close();
    }
  });
});
