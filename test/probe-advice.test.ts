import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { resolveConfig } from '../src/config.ts';
import { describeProbeAdvice, probeAdvice } from '../src/probe-advice.ts';

describe('probe advice', () => {
  it('fits the defaults inside Kubernetes', () => {
    const { config } = resolveConfig({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } });
    assert.deepEqual(probeAdvice(config), {
      timeoutSeconds: 1, readinessPeriodSeconds: 2, readinessFailureThreshold: 2, terminationGracePeriodSeconds: 20,
    });
  });

  it('obeys the rules for any timings', () => {
    for (const healthCheckTimeoutMs of [1, 500, 750, 999, 1000, 4500]) {
      for (const drainDelayMs of [0, 1999, 2000, 3000, 5000, 10_000, 12_000]) {
        for (const shutdownGraceMs of [0, 10_000]) {
          const advice = probeAdvice({ healthCheckTimeoutMs, drainDelayMs, shutdownGraceMs }, 5);
          assert.ok(advice.timeoutSeconds * 1000 > healthCheckTimeoutMs);
          if (drainDelayMs >= 2000) {
            assert.ok(drainDelayMs >= advice.readinessPeriodSeconds * advice.readinessFailureThreshold * 1000);
            assert.equal(advice.readinessFailureThreshold, 2, 'one slow probe never takes a pod out');
          }
          assert.ok(advice.readinessPeriodSeconds >= 1 && advice.readinessPeriodSeconds <= 5);
          assert.ok(advice.terminationGracePeriodSeconds * 1000 > 5000 + drainDelayMs + shutdownGraceMs);
        }
      }
    }
  });

  it('says so when the drain is too short to be noticed', () => {
    assert.match(describeProbeAdvice({ healthCheckTimeoutMs: 500, drainDelayMs: 0, shutdownGraceMs: 10_000 }),
      /OBSERVABILITY_DRAIN_DELAY_MS=0 is too short for readiness to notice the drain: raise it to at least 5000/);
  });

  // The issue this guards against: the doc quoted a line the SDK never printed, and the
  // Deployment followed neither (issue 12, defect 5).
  describe('the printed advice, docs/kubernetes.md and deploy/kubernetes agree', () => {
    const deployment = parse(readFileSync(new URL('../deploy/kubernetes/deployment.yaml', import.meta.url), 'utf8'));
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const env = Object.fromEntries(container.env.filter((e: { value?: string }) => e.value)
      .map((e: { name: string; value: string }) => [e.name, e.value]));
    const inCluster = { KUBERNETES_SERVICE_HOST: '10.96.0.1' };
    const shipped = resolveConfig({ env: { ...inCluster, ...env } }).config;
    const defaults = resolveConfig({ env: inCluster }).config;
    const doc = readFileSync(new URL('../docs/kubernetes.md', import.meta.url), 'utf8');
    const printed = [...doc.matchAll(/^\[@wizamart\/observability\] (probe settings .*)$/gm)].map((m) => m[1]);

    it('the doc quotes what the SDK prints for the Deployment and for the in-cluster defaults', () => {
      assert.deepEqual(printed, [describeProbeAdvice(shipped), describeProbeAdvice(defaults)]);
    });

    it('the Deployment follows the advice for its own environment', () => {
      const advice = probeAdvice(shipped, container.lifecycle.preStop.sleep.seconds);
      for (const probe of ['livenessProbe', 'readinessProbe']) assert.equal(container[probe].timeoutSeconds, advice.timeoutSeconds, probe);
      assert.equal(container.readinessProbe.periodSeconds, advice.readinessPeriodSeconds);
      assert.equal(container.readinessProbe.failureThreshold, advice.readinessFailureThreshold);
      assert.equal(pod.terminationGracePeriodSeconds, advice.terminationGracePeriodSeconds);
    });

    it('the numbers in the doc and the Deployment\'s comments are the Deployment\'s', () => {
      const { periodSeconds, failureThreshold } = container.readinessProbe;
      assert.ok(doc.includes(`(${periodSeconds} s x ${failureThreshold} = ${periodSeconds * failureThreshold} s in the`));
      assert.ok(doc.includes(`\`terminationGracePeriodSeconds\` (${pod.terminationGracePeriodSeconds}) > preStop`
        + `\n   sleep (${container.lifecycle.preStop.sleep.seconds} s) + drain (${shipped.drainDelayMs / 1000} s)`));
      const withDefaultDrain = probeAdvice(defaults);
      assert.ok(doc.includes(`wants \`periodSeconds: ${withDefaultDrain.readinessPeriodSeconds}\``));
      const yaml = readFileSync(new URL('../deploy/kubernetes/deployment.yaml', import.meta.url), 'utf8');
      assert.match(yaml, new RegExp(`Without it the\\s+# in-cluster default is ${defaults.drainDelayMs / 1000} s, `
        + `and the readinessProbe wants periodSeconds: ${withDefaultDrain.readinessPeriodSeconds}\\.`));
    });

    it('the ServiceMonitor carries the release label kube-prometheus-stack selects on, and says so', () => {
      const text = readFileSync(new URL('../deploy/kubernetes/servicemonitor.yaml', import.meta.url), 'utf8');
      assert.equal(typeof parse(text).metadata.labels.release, 'string');
      assert.match(text, /kube-prometheus-stack selects `release: <its Helm release name>`/);
      assert.match(doc, /set the ServiceMonitor's `release` label/);
    });
  });
});
