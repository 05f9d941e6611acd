// The Kubernetes manifests must agree with the SDK: probe paths it serves, its port,
// and timings that fit its deadlines, drain and grace periods.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_PORT, resolveConfig } from '../src/config.ts';
import { ENDPOINT_PATHS } from '../src/http/endpoints.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = any;

function load(file: string): Yaml[] {
  const documents = parseAllDocuments(readFileSync(new URL(`../deploy/kubernetes/${file}`, import.meta.url), 'utf8'));
  for (const document of documents) assert.deepEqual(document.errors, [], `${file} parses`);
  return documents.map((document) => document.toJS());
}

const [deployment] = load('deployment.yaml');
const [service] = load('service.yaml');
const [monitor] = load('servicemonitor.yaml');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const env = Object.fromEntries(container.env.filter((e: Yaml) => 'value' in e).map((e: Yaml) => [e.name, e.value]));
const { config } = resolveConfig({ env });
const port = (name: string) => container.ports.find((p: Yaml) => p.name === name)?.containerPort;

describe('deploy/kubernetes', () => {
  it('runs the app under the preload', () => {
    assert.deepEqual(container.command.slice(0, 3), ['node', '--import', '@wizamart/observability/register']);
  });

  it('probes paths the SDK serves, on the port it listens on', () => {
    assert.equal(port('observability'), DEFAULT_PORT);
    assert.equal(config.port, DEFAULT_PORT);
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      assert.ok(ENDPOINT_PATHS.includes(container[probe].httpGet.path), `${probe} path`);
      assert.equal(container[probe].httpGet.port, 'observability');
    }
    assert.equal(container.livenessProbe.httpGet.path, '/health/live');
    assert.equal(container.readinessProbe.httpGet.path, '/health/ready');
    assert.equal(container.startupProbe.httpGet.path, '/health/startup');
  });

  it('gives the startup probe room for a slow start, and the usual timeout', () => {
    const { periodSeconds, failureThreshold, timeoutSeconds } = container.startupProbe;
    assert.ok(periodSeconds * failureThreshold >= 60, 'a minute of start-up before the kubelet restarts the pod');
    assert.ok(config.healthCheckTimeoutMs < timeoutSeconds * 1000);
  });

  it('gives every health check a deadline shorter than the probe timeout', () => {
    for (const probe of ['livenessProbe', 'readinessProbe']) {
      assert.ok(config.healthCheckTimeoutMs < container[probe].timeoutSeconds * 1000,
        `${config.healthCheckTimeoutMs} ms check deadline < ${probe} timeout`);
    }
  });

  it('drains at least as long as readiness needs to notice', () => {
    const { periodSeconds, failureThreshold } = container.readinessProbe;
    assert.ok(config.drainDelayMs >= periodSeconds * failureThreshold * 1000,
      `drain ${config.drainDelayMs} ms >= ${periodSeconds} s x ${failureThreshold}`);
  });

  it('leaves time for preStop, drain and grace before SIGKILL', () => {
    const preStopMs = container.lifecycle.preStop.sleep.seconds * 1000;
    assert.ok(pod.terminationGracePeriodSeconds * 1000 > preStopMs + config.drainDelayMs + config.shutdownGraceMs);
  });

  it('uses a preStop that needs no shell in the image', () => {
    assert.deepEqual(Object.keys(container.lifecycle.preStop), ['sleep']);
  });

  it('has a Service and a ServiceMonitor scraping /metrics on the SDK port', () => {
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    const scraped = service.spec.ports.find((p: Yaml) => p.name === monitor.spec.endpoints[0].port);
    assert.equal(scraped.targetPort, 'observability');
    assert.equal(monitor.spec.endpoints[0].path, '/metrics');
    assert.deepEqual(monitor.spec.selector.matchLabels, service.metadata.labels);
  });
});
