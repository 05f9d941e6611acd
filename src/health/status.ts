// The spec's status levels and result shapes. Field names are the spec's snake_case
// ones because they are what GET /health serves: what runAll() returns is the wire format.

export const HealthStatus = {
  HEALTHY: 'healthy',
  DEGRADED: 'degraded',
  UNHEALTHY: 'unhealthy',
} as const;

export type HealthStatus = (typeof HealthStatus)[keyof typeof HealthStatus];

export interface HealthCheckResult {
  name: string;
  status: HealthStatus;
  message: string;
  /** Time the check took, in milliseconds. */
  latency_ms: number;
  details: Record<string, unknown>;
  /** ISO 8601 time the check finished. */
  checked_at: string;
  /**
   * Only while the check is in its failAfter / recoverAfter grace window: what this run
   * observed, and how many consecutive runs of the needed number have said so. `status`
   * is still the previous verdict meanwhile.
   */
  grace?: HealthCheckGrace;
}

export interface HealthCheckGrace {
  observed: HealthStatus;
  consecutive: number;
  needed: number;
}

export interface HealthReport {
  status: HealthStatus;
  /** ISO 8601 time the report was assembled. */
  timestamp: string;
  checks: HealthCheckResult[];
}

/** What a check may return: a full or partial result, the spec's `{status, message}` dict, or nothing (= healthy). */
export type HealthCheckOutcome =
  | Partial<Omit<HealthCheckResult, 'status'>> & { status?: HealthStatus | Uppercase<HealthStatus> }
  | undefined
  | void;

/** A health check. Sync or async; told through `signal` when its deadline passes. */
export type HealthCheck = (signal: AbortSignal) => HealthCheckOutcome | Promise<HealthCheckOutcome>;

const SEVERITY: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/** Worst wins; no statuses at all is HEALTHY (spec: "Overall Status Logic"). */
export function worstStatus(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = HealthStatus.HEALTHY;
  for (const status of statuses) {
    if (SEVERITY[status] > SEVERITY[worst]) worst = status;
  }
  return worst;
}

/** Accepts the spec's lower-case values and the enum-style upper-case names; anything else is undefined. */
export function parseStatus(value: unknown): HealthStatus | undefined {
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  return lower in SEVERITY ? (lower as HealthStatus) : undefined;
}
