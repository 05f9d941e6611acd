// Unit tests of the pure parts of telemetry: how the OTEL_* environment is read and what it
// decides. No SDK is started here (see telemetry-traces / telemetry-process for that).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planExport } from '../src/telemetry/export.ts';
import { selectInstrumentations } from '../src/telemetry/instrumentations.ts';
import { chooseDetectors, packageNameNear, resolveServiceName, UNKNOWN_SERVICE } from '../src/resource.ts';
import { packageName, splitEagerLazy } from '../src/telemetry/module-hooks.ts';
import { readKeyValues } from '../src/telemetry/env.ts';
import { CATALOG } from '../src/telemetry/catalog.ts';
import type { Warn } from '../src/warnings.ts';

/** Collects warnings' messages; every one must carry the code for bad OTEL_* values. */
function collect(): { warn: Warn; warnings: string[] } {
  const warnings: string[] = [];
  return {
    warn: (code, m) => {
      assert.match(code, /^OBS_(OTEL_ENV|PACKAGE_MISSING)$/);
      warnings.push(m);
    },
    warnings,
  };
}

test('no OTEL_* configuration exports nothing (no localhost:4318 default)', () => {
  const { warn, warnings } = collect();
  assert.deepEqual(planExport({}, undefined, warn).targets, []);
  assert.deepEqual(warnings, []);
});

test('an endpoint alone turns OTLP on, with /v1/traces appended and http/protobuf by default', () => {
  const { warn } = collect();
  const [target] = planExport({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, undefined, warn).targets;
  assert.deepEqual(target, { kind: 'otlp', protocol: 'http/protobuf', url: 'http://127.0.0.1:4318/v1/traces', headers: {}, timeoutMillis: 10_000 });
});

test('the traces endpoint is used as is; headers and timeout are read from env', () => {
  const { warn } = collect();
  const [target] = planExport({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:1',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:1/custom',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=x%20y',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=2',
    OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
  }, undefined, warn).targets;
  assert.deepEqual(target, { kind: 'otlp', protocol: 'http/json', url: 'http://127.0.0.1:1/custom', headers: { a: '1', b: '2' }, timeoutMillis: 2500 });
});

test('OTEL_TRACES_EXPORTER=none wins; otlp alone uses the exporter default URL; unknown names warn', () => {
  const { warn, warnings } = collect();
  assert.deepEqual(planExport({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:1' }, undefined, warn).targets, []);
  const [otlp] = planExport({ OTEL_TRACES_EXPORTER: 'otlp,zipkin' }, undefined, warn).targets;
  assert.equal(otlp?.kind === 'otlp' && otlp.url, undefined);
  assert.match(warnings.join('\n'), /unsupported exporter\(s\) zipkin/);
});

test('Sentry OTLP is an extra target with its own headers and no collector headers', () => {
  const { warn } = collect();
  const targets = planExport({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=secret' },
    { url: 'https://sentry.example/api/1/integration/otlp/v1/traces/', headers: { 'X-Sentry-Auth': 'k' } }, warn).targets;
  assert.deepEqual(targets, [{ kind: 'otlp', protocol: 'http/json', url: 'https://sentry.example/api/1/integration/otlp/v1/traces/',
    headers: { 'X-Sentry-Auth': 'k' }, timeoutMillis: 10_000, isolated: true }]);
});

test('an endpoint that is not an http(s) URL warns and exports nothing', () => {
  const { warn, warnings } = collect();
  assert.deepEqual(planExport({ OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:4318' }, undefined, warn).targets, []);
  assert.deepEqual(warnings, ['OTEL_EXPORTER_OTLP_ENDPOINT="127.0.0.1:4318" is not an http(s) URL; traces are not exported over OTLP']);
});

test('bad numbers and protocols warn once each, naming the variable, value and fallback', () => {
  const { warn, warnings } = collect();
  const plan = planExport({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_EXPORTER_OTLP_PROTOCOL: 'udp', OTEL_EXPORTER_OTLP_TIMEOUT: '-1' }, undefined, warn);
  assert.equal(plan.targets[0]?.kind === 'otlp' && plan.targets[0].protocol, 'http/protobuf');
  assert.deepEqual(warnings, [
    'OTEL_EXPORTER_OTLP_TIMEOUT="-1" is not a positive number; using 10000',
    'OTEL_EXPORTER_OTLP_PROTOCOL="udp" is not one of http/json, http/protobuf, grpc; using http/protobuf',
  ]);
});

test('instrumentations: fs, dns and net are off by default; the enabled list can turn them on', () => {
  const { warn, warnings } = collect();
  const names = (env: NodeJS.ProcessEnv) => selectInstrumentations(env, warn).map((e) => e.name);
  const defaults = names({});
  for (const name of ['http', 'undici', 'express', 'koa', 'pg', 'mysql2', 'redis', 'ioredis', 'mongodb', 'graphql', 'pino', 'winston']) {
    assert.ok(defaults.includes(name), name);
  }
  for (const name of ['fs', 'dns', 'net']) assert.ok(!defaults.includes(name), name);
  assert.deepEqual(names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http, fs,@opentelemetry/instrumentation-pg' }), ['http', 'pg', 'fs']);
  assert.deepEqual(names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,express', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express' }), ['http']);
  assert.deepEqual(warnings, []);
});

test('instrumentations: unknown names give one warning naming them all', () => {
  const { warn, warnings } = collect();
  selectInstrumentations({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,htp', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'expres' }, warn);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /htp in OTEL_NODE_ENABLED_INSTRUMENTATIONS; expres in OTEL_NODE_DISABLED_INSTRUMENTATIONS/);
});

test('core-module and channel-based instrumentations start eagerly, library ones lazily', () => {
  const { eager, lazy } = splitEagerLazy(CATALOG, true);
  assert.deepEqual(eager.map((e) => e.name), ['http', 'undici', 'fs', 'dns', 'net']);
  assert.ok(lazy.some((e) => e.name === 'express'));
  assert.equal(splitEagerLazy(CATALOG, false).lazy.length, 0);
});

test('service name: option, then OTEL_SERVICE_NAME, then the nearest package.json, then unknown_service:node', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svc-'));
  const app = join(dir, 'app', 'src');
  mkdirSync(app, { recursive: true });
  writeFileSync(join(dir, 'app', 'package.json'), JSON.stringify({ name: 'shop-api' }));
  assert.equal(resolveServiceName('explicit', { OTEL_SERVICE_NAME: 'env' }, app), 'explicit');
  assert.equal(resolveServiceName(undefined, { OTEL_SERVICE_NAME: 'env' }, app), 'env');
  assert.equal(resolveServiceName(undefined, {}, app), 'shop-api');
  writeFileSync(join(dir, 'app', 'package.json'), '{}');
  assert.equal(packageNameNear(app), undefined);
  assert.equal(resolveServiceName(undefined, {}, app), UNKNOWN_SERVICE);
});

test('resource detectors: local ones by default; cloud ones only when named', () => {
  const { warn, warnings } = collect();
  const count = (env: NodeJS.ProcessEnv) => chooseDetectors(env, warn).detectors.length;
  assert.equal(count({}), 5);
  assert.equal(count({ OTEL_NODE_RESOURCE_DETECTORS: 'all' }), 5, "'all' means all local detectors");
  assert.equal(count({ OTEL_NODE_RESOURCE_DETECTORS: 'none' }), 0);
  assert.equal(chooseDetectors({ OTEL_NODE_RESOURCE_DETECTORS: 'host' }, warn).env, false);
  assert.equal(count({ OTEL_NODE_RESOURCE_DETECTORS: 'host,gcpp' }), 1);
  assert.match(warnings.join('\n'), /unknown detector\(s\) gcpp/);
});

test('module specifiers map to package names', () => {
  assert.equal(packageName('express'), 'express');
  assert.equal(packageName('pg/lib/client.js'), 'pg');
  assert.equal(packageName('@redis/client/dist/index.js'), '@redis/client');
  assert.equal(packageName('node:fs/promises'), 'fs');
  assert.equal(packageName('./local.js'), undefined);
  assert.equal(packageName('/abs/path.js'), undefined);
  assert.equal(packageName('file:///x.mjs'), undefined);
  assert.equal(packageName('#internal'), undefined);
  assert.equal(packageName('@scope'), undefined);
});

test('malformed OTLP header entries are counted in the warning, never shown', () => {
  const { warn, warnings } = collect();
  const plan = planExport({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    OTEL_EXPORTER_OTLP_HEADERS: 'Authorization Bearer s3cr3t-token,x-tenant=acme' }, undefined, warn);
  assert.deepEqual(plan.targets[0]?.kind === 'otlp' && plan.targets[0].headers, { 'x-tenant': 'acme' });
  assert.deepEqual(warnings, ['OTEL_EXPORTER_OTLP_HEADERS: ignoring 1 malformed entry (not shown: they may hold credentials)']);
});

test('key=value lists are percent-decoded; malformed entries are skipped with one warning', () => {
  const { warn, warnings } = collect();
  assert.deepEqual(readKeyValues({ X: 'a=1, b = two%20words ,=bad,c' }, 'X', warn), { a: '1', b: 'two words' });
  assert.deepEqual(warnings, ['X: ignoring malformed entries "=bad", "c"']);
});
