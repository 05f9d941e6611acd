// The report as application/health+json (draft-inadarei-api-health-check), for tools that
// speak it: pass/warn/fail, checks keyed by name, each an array of measurements. The
// spec's own JSON stays the default; this is served only when a client asks for it.

import { HealthStatus, type HealthCheckResult, type HealthReport } from './status.ts';

export const HEALTH_JSON = 'application/health+json';

type DraftStatus = 'pass' | 'warn' | 'fail';

const DRAFT_STATUS: Record<HealthStatus, DraftStatus> = { healthy: 'pass', degraded: 'warn', unhealthy: 'fail' };

export interface HealthJsonCheck {
  status: DraftStatus;
  time: string;
  /** The check's message; the draft omits it on pass. */
  output?: string;
  /** The check's latency (the draft's observed value of a responseTime measurement). */
  observedValue: number;
  observedUnit: 'ms';
  componentType: 'component';
}

export interface HealthJson {
  status: DraftStatus;
  checks?: Record<string, HealthJsonCheck[]>;
}

/** `details: false` gives the verdict only (no check names: they describe the infrastructure). */
export function toHealthJson(report: HealthReport, details: boolean): HealthJson {
  const status = DRAFT_STATUS[report.status];
  if (!details) return { status };
  const checks: Record<string, HealthJsonCheck[]> = {};
  for (const result of report.checks) checks[result.name] = [measurement(result)];
  return { status, checks };
}

/** The draft: 2xx-3xx for pass and warn, 4xx-5xx for fail. */
export function healthJsonStatusCode(report: HealthReport): number {
  return report.status === HealthStatus.UNHEALTHY ? 503 : 200;
}

function measurement(result: HealthCheckResult): HealthJsonCheck {
  const status = DRAFT_STATUS[result.status];
  return {
    status,
    time: result.checked_at,
    ...(status !== 'pass' && result.message ? { output: result.message } : {}),
    observedValue: result.latency_ms,
    observedUnit: 'ms',
    componentType: 'component',
  };
}
