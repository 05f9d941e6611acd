import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConfig } from '../src/config.ts';
import { describeProbeAdvice, probeAdvice } from '../src/probe-advice.ts';

describe('probe advice', () => {
  it('fits the defaults inside Kubernetes', () => {
    const { config } = resolveConfig({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } });
    assert.deepEqual(probeAdvice(config), {
      timeoutSeconds: 1, readinessPeriodSeconds: 5, readinessFailureThreshold: 1, terminationGracePeriodSeconds: 20,
    });
  });

  it('obeys the rules for any timings', () => {
    for (const healthCheckTimeoutMs of [1, 500, 750, 999, 1000, 4500]) {
      for (const drainDelayMs of [0, 5000, 12_000]) {
        for (const shutdownGraceMs of [0, 10_000]) {
          const advice = probeAdvice({ healthCheckTimeoutMs, drainDelayMs, shutdownGraceMs }, 5);
          assert.ok(advice.timeoutSeconds * 1000 > healthCheckTimeoutMs);
          if (drainDelayMs >= 5000) assert.ok(drainDelayMs >= advice.readinessPeriodSeconds * advice.readinessFailureThreshold * 1000);
          assert.ok(advice.terminationGracePeriodSeconds * 1000 > 5000 + drainDelayMs + shutdownGraceMs);
        }
      }
    }
  });

  it('says so when the drain is too short to be noticed', () => {
    assert.match(describeProbeAdvice({ healthCheckTimeoutMs: 500, drainDelayMs: 0, shutdownGraceMs: 10_000 }),
      /OBSERVABILITY_DRAIN_DELAY_MS=0 is shorter than one readiness period: raise it to at least 5000/);
  });

  it('agrees with the shipped Deployment', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const deployment = parse(readFileSync(new URL('../deploy/kubernetes/deployment.yaml', import.meta.url), 'utf8'));
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const env = Object.fromEntries(container.env.filter((e: { value?: string }) => e.value).map((e: { name: string; value: string }) => [e.name, e.value]));
    const advice = probeAdvice(resolveConfig({ env }).config, container.lifecycle.preStop.sleep.seconds);
    assert.equal(container.readinessProbe.timeoutSeconds, advice.timeoutSeconds);
    assert.equal(container.readinessProbe.periodSeconds * container.readinessProbe.failureThreshold,
      advice.readinessPeriodSeconds * advice.readinessFailureThreshold);
    assert.ok(pod.terminationGracePeriodSeconds >= advice.terminationGracePeriodSeconds);
  });
});
