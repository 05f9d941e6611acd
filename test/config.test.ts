import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConfig } from '../src/config.ts';

describe('resolveConfig', () => {
  it('has the spec\'s defaults', () => {
    const { config, warnings } = resolveConfig({ env: {} });
    assert.deepEqual(warnings, []);
    assert.equal(config.enableMetrics, false);
    assert.equal(config.environment, 'development');
    assert.equal(config.sentryDsn, undefined);
    assert.deepEqual(config.tools, { flower: null, grafana: null, prometheus: null });
    assert.equal(config.port, 9464);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.healthCheckTimeoutMs, 500);
    assert.equal(config.drainDelayMs, 0);
    assert.equal(config.eventLoopDelayThresholdMs, 200);
    assert.equal(config.eventLoopLivenessMs, undefined);
  });

  it('reads the spec\'s environment variables and the SDK\'s own', () => {
    const { config, warnings } = resolveConfig({ env: {
      ENABLE_METRICS: 'True', SENTRY_DSN: 'https://key@sentry.example/1', ENVIRONMENT: 'production',
      SENTRY_RELEASE: '1.2.3', FLOWER_URL: 'http://flower:5555', GRAFANA_URL: 'http://grafana:3000',
      PROMETHEUS_URL: 'http://prometheus:9090', OTEL_SERVICE_NAME: 'shop', OBSERVABILITY_PORT: '9100',
      OBSERVABILITY_HOST: '127.0.0.1', OBSERVABILITY_SERVER: 'off', HEALTH_CHECK_TIMEOUT_MS: '800',
      HEALTH_CACHE_TTL_MS: '0', OBSERVABILITY_DRAIN_DELAY_MS: '3000', OBSERVABILITY_SHUTDOWN_GRACE_MS: '5000',
      METRICS_CARDINALITY_LIMIT: '500', OBSERVABILITY_AUTH_TOKEN: 'a-long-random-token-0123456789',
      HEALTH_EVENT_LOOP_DELAY_MS: '150', HEALTH_EVENT_LOOP_LIVENESS_MS: '2000',
    } });
    assert.deepEqual(warnings, []);
    assert.deepEqual({ ...config, env: undefined }, {
      enableMetrics: true, sentryDsn: 'https://key@sentry.example/1', environment: 'production', release: '1.2.3',
      tools: { flower: 'http://flower:5555', grafana: 'http://grafana:3000', prometheus: 'http://prometheus:9090' },
      serviceName: 'shop', port: 9100, host: '127.0.0.1', startServer: false, healthCheckTimeoutMs: 800,
      healthCacheTtlMs: 0, eventLoopDelayThresholdMs: 150, eventLoopLivenessMs: 2000, drainDelayMs: 3000, shutdownGraceMs: 5000, metricsCardinalityLimit: 500,
      authToken: 'a-long-random-token-0123456789', env: undefined,
    });
  });

  it('lets explicit options win over the environment', () => {
    const { config } = resolveConfig({ enableMetrics: false, port: 9000, environment: 'staging',
      env: { ENABLE_METRICS: 'true', OBSERVABILITY_PORT: '9100', ENVIRONMENT: 'production' } });
    assert.equal(config.enableMetrics, false);
    assert.equal(config.port, 9000);
    assert.equal(config.environment, 'staging');
  });

  it('drains for a few seconds by default inside Kubernetes', () => {
    assert.equal(resolveConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } }).config.drainDelayMs, 5000);
  });

  it('warns about every bad environment value, naming it, and falls back', () => {
    const { config, warnings } = resolveConfig({ env: {
      ENABLE_METRICS: 'maybe', OBSERVABILITY_PORT: '70000', OBSERVABILITY_SERVER: '2', HEALTH_CHECK_TIMEOUT_MS: '0',
      HEALTH_CACHE_TTL_MS: '1.5', OBSERVABILITY_DRAIN_DELAY_MS: 'soon', OBSERVABILITY_SHUTDOWN_GRACE_MS: '-3',
      METRICS_CARDINALITY_LIMIT: '0', GRAFANA_URL: 'grafana:3000', PROMETHEUS_URL: 'javascript:alert(1)',
    } });
    assert.deepEqual(warnings, [
      'ENABLE_METRICS="maybe" is not true or false; using false',
      'GRAFANA_URL="grafana:3000" is not an http(s) URL; ignoring it',
      'PROMETHEUS_URL="javascript:alert(1)" is not an http(s) URL; ignoring it',
      'OBSERVABILITY_PORT="70000" is not a port number from 0 to 65535; using 9464',
      'OBSERVABILITY_SERVER="2" is not true or false; using true',
      'HEALTH_CHECK_TIMEOUT_MS="0" is not a whole number of milliseconds from 1 to 86400000; using 500',
      'HEALTH_CACHE_TTL_MS="1.5" is not a whole number of milliseconds from 0 to 86400000; using 1000',
      'OBSERVABILITY_DRAIN_DELAY_MS="soon" is not a whole number of milliseconds from 0 to 86400000; using 0',
      'OBSERVABILITY_SHUTDOWN_GRACE_MS="-3" is not a whole number of milliseconds from 0 to 86400000; using 10000',
      'METRICS_CARDINALITY_LIMIT="0" is not a whole number from 1 to 10000000; using 2000',
    ]);
    assert.equal(config.port, 9464);
    assert.equal(config.tools.grafana, null);
  });

  it('warns about a bad option and falls back to the environment, then the default', () => {
    const { config, warnings } = resolveConfig({ port: -1, enableMetrics: 'yes please' as never,
      env: { OBSERVABILITY_PORT: '9100' } });
    assert.equal(config.port, 9100);
    assert.equal(config.enableMetrics, false);
    assert.deepEqual(warnings, [
      'option enableMetrics="yes please" is not true or false; using false',
      'option port=-1 is not a port number from 0 to 65535; using 9100 from OBSERVABILITY_PORT',
    ]);
  });

  it('uses a short auth token but warns, never echoing it; a token with spaces is refused by name only', () => {
    const short = resolveConfig({ env: { OBSERVABILITY_AUTH_TOKEN: 'abc123' } });
    assert.equal(short.config.authToken, 'abc123');
    assert.deepEqual(short.warnings, ['the auth token (OBSERVABILITY_AUTH_TOKEN / authToken) is shorter than 16 characters; '
      + 'it is used, but a long random token is safer']);
    const spaced = resolveConfig({ env: { OBSERVABILITY_AUTH_TOKEN: 'two words' } });
    assert.equal(spaced.config.authToken, undefined);
    assert.deepEqual(spaced.warnings, ['OBSERVABILITY_AUTH_TOKEN=(hidden) is not a token without spaces; ignoring it']);
  });

  it('masks credentials in the values its warnings show', () => {
    const { warnings } = resolveConfig({ env: { GRAFANA_URL: 'ftp://admin:hunter2@grafana' } });
    assert.deepEqual(warnings, ['GRAFANA_URL="ftp://admin:***@grafana" is not an http(s) URL; ignoring it']);
  });

  it('treats empty variables as unset', () => {
    const { config, warnings } = resolveConfig({ env: { ENABLE_METRICS: '', OBSERVABILITY_PORT: ' ' } });
    assert.deepEqual(warnings, []);
    assert.equal(config.port, 9464);
  });
});
