// The Kubernetes probe settings that fit the SDK's configured timings, so nobody has to
// derive them by hand. The same rules are followed by deploy/kubernetes and stated in
// docs/kubernetes.md; test/probe-advice.test.ts checks that all three agree:
// - a probe's timeoutSeconds must exceed the slowest health check's deadline;
// - the drain must last at least readiness periodSeconds x failureThreshold;
// - terminationGracePeriodSeconds must exceed preStop + drain + shutdown grace.

import type { Config } from './config.ts';

export interface ProbeAdvice {
  timeoutSeconds: number;
  readinessPeriodSeconds: number;
  readinessFailureThreshold: number;
  /** Without the preStop sleep: add its seconds (probeAdvice's second argument does). */
  terminationGracePeriodSeconds: number;
}

type Timings = Pick<Config, 'healthCheckTimeoutMs' | 'drainDelayMs' | 'shutdownGraceMs'>;

// Kubernetes' default readiness period; shorter only when the drain asks for it.
const MAX_READINESS_PERIOD_SECONDS = 5;
// Two failures before a pod leaves its Service: one slow probe must not take it out.
const READINESS_FAILURE_THRESHOLD = 2;
// Room for the request itself beside the check deadline, and for the kubelet's own delays.
const PROBE_MARGIN_MS = 250;
const TERMINATION_MARGIN_SECONDS = 5;

export function probeAdvice(config: Timings, preStopSeconds = 0): ProbeAdvice {
  // The drain must outlast periodSeconds x failureThreshold; keep two failures when the
  // drain leaves room for them (>= 2 s), and shorten the period rather than the threshold.
  const threshold = config.drainDelayMs >= READINESS_FAILURE_THRESHOLD * 1000 ? READINESS_FAILURE_THRESHOLD : 1;
  const period = Math.min(MAX_READINESS_PERIOD_SECONDS, Math.max(1, Math.floor(config.drainDelayMs / threshold / 1000)));
  return {
    timeoutSeconds: Math.max(1, Math.ceil((config.healthCheckTimeoutMs + PROBE_MARGIN_MS) / 1000)),
    readinessPeriodSeconds: period,
    readinessFailureThreshold: threshold,
    terminationGracePeriodSeconds: preStopSeconds
      + Math.ceil((config.drainDelayMs + config.shutdownGraceMs) / 1000) + TERMINATION_MARGIN_SECONDS,
  };
}

/** The line printed at startup inside Kubernetes; docs/kubernetes.md quotes it for the shipped Deployment. */
export function describeProbeAdvice(config: Timings): string {
  const advice = probeAdvice(config);
  const drainNote = config.drainDelayMs < READINESS_FAILURE_THRESHOLD * 1000
    ? `(OBSERVABILITY_DRAIN_DELAY_MS=${config.drainDelayMs} is too short for readiness to notice the drain: `
      + 'raise it to at least 5000)'
    : '';
  return `probe settings for these timings: timeoutSeconds: ${advice.timeoutSeconds} `
    + `(health check deadline ${config.healthCheckTimeoutMs} ms + ${PROBE_MARGIN_MS} ms); `
    + `readinessProbe periodSeconds: ${advice.readinessPeriodSeconds}, failureThreshold: ${advice.readinessFailureThreshold} `
    + `${drainNote || `(${advice.readinessPeriodSeconds} s x ${advice.readinessFailureThreshold} within the drain of ${config.drainDelayMs} ms)`}; `
    + `terminationGracePeriodSeconds: ${advice.terminationGracePeriodSeconds} + your preStop sleep, or more `
    + `(drain ${config.drainDelayMs} ms + shutdown grace ${config.shutdownGraceMs} ms + ${TERMINATION_MARGIN_SECONDS} s)`;
}
