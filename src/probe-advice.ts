// The Kubernetes probe settings that fit the SDK's configured timings, so nobody has to
// derive them by hand (the rules deploy/kubernetes follows and test/deploy-kubernetes checks):
// - a probe's timeoutSeconds must exceed the slowest health check's deadline;
// - the drain must last at least readiness periodSeconds x failureThreshold;
// - terminationGracePeriodSeconds must exceed preStop + drain + shutdown grace.

import type { Config } from './config.ts';

export interface ProbeAdvice {
  timeoutSeconds: number;
  readinessPeriodSeconds: number;
  readinessFailureThreshold: number;
  terminationGracePeriodSeconds: number;
}

const READINESS_PERIOD_SECONDS = 5;
// Room for the request itself beside the check deadline, and for the kubelet's own delays.
const PROBE_MARGIN_MS = 250;
const TERMINATION_MARGIN_SECONDS = 5;

export function probeAdvice(config: Pick<Config, 'healthCheckTimeoutMs' | 'drainDelayMs' | 'shutdownGraceMs'>,
  preStopSeconds = 0): ProbeAdvice {
  return {
    timeoutSeconds: Math.max(1, Math.ceil((config.healthCheckTimeoutMs + PROBE_MARGIN_MS) / 1000)),
    readinessPeriodSeconds: READINESS_PERIOD_SECONDS,
    readinessFailureThreshold: Math.max(1, Math.floor(config.drainDelayMs / (READINESS_PERIOD_SECONDS * 1000))),
    terminationGracePeriodSeconds: preStopSeconds
      + Math.ceil((config.drainDelayMs + config.shutdownGraceMs) / 1000) + TERMINATION_MARGIN_SECONDS,
  };
}

export function describeProbeAdvice(config: Pick<Config, 'healthCheckTimeoutMs' | 'drainDelayMs' | 'shutdownGraceMs'>): string {
  const advice = probeAdvice(config);
  const drainNote = config.drainDelayMs < READINESS_PERIOD_SECONDS * 1000
    ? ` (OBSERVABILITY_DRAIN_DELAY_MS=${config.drainDelayMs} is shorter than one readiness period: raise it to at least ${READINESS_PERIOD_SECONDS * 1000})`
    : '';
  return `probe settings for these timings: timeoutSeconds: ${advice.timeoutSeconds} `
    + `(health check deadline ${config.healthCheckTimeoutMs} ms); readinessProbe periodSeconds: ${advice.readinessPeriodSeconds}, `
    + `failureThreshold: ${advice.readinessFailureThreshold} (drain ${config.drainDelayMs} ms)${drainNote}; `
    + `terminationGracePeriodSeconds: ${advice.terminationGracePeriodSeconds} or more plus any preStop sleep `
    + `(drain + shutdown grace ${config.shutdownGraceMs} ms)`;
}
