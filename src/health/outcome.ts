// Turns whatever a check returned (or threw) into a well-formed HealthCheckResult.
// Checks are user code: they may return partial results, the spec's {status, message}
// dict, booleans, or garbage; the report must stay well-formed JSON whatever they do.

import { scrubMessage, scrubValue } from './scrub.ts';
import { HealthStatus, parseStatus, type HealthCheckResult } from './status.ts';

interface Measured {
  name: string;
  latencyMs: number;
}

export function resultFromOutcome(outcome: unknown, { name, latencyMs }: Measured): HealthCheckResult {
  if (outcome === undefined || outcome === null) return result(name, HealthStatus.HEALTHY, '', {}, latencyMs);
  if (typeof outcome === 'boolean') {
    return result(name, outcome ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY, '', {}, latencyMs);
  }
  if (typeof outcome !== 'object' || Array.isArray(outcome)) {
    return result(name, HealthStatus.UNHEALTHY,
      `check returned ${describe(outcome)}; expected a result object, a boolean or nothing`, {}, latencyMs);
  }
  const fields = outcome as Record<string, unknown>;
  const message = fields.message === undefined || fields.message === null ? '' : stringify(fields.message);
  const details = jsonSafeDetails(fields.details);
  if (fields.status === undefined) return result(name, HealthStatus.HEALTHY, message, details, latencyMs);
  const status = parseStatus(fields.status);
  if (status === undefined) {
    return result(name, HealthStatus.UNHEALTHY,
      `check returned an invalid status ${describe(fields.status)}; expected "healthy", "degraded" or "unhealthy"`,
      details, latencyMs);
  }
  return result(name, status, message, details, latencyMs);
}

export function resultFromError(error: unknown, { name, latencyMs }: Measured): HealthCheckResult {
  const message = error instanceof Error ? error.message || error.name : stringify(error);
  return result(name, HealthStatus.UNHEALTHY, message, {}, latencyMs);
}

export function timedOutResult(name: string, timeoutMs: number, stillRunning: boolean): HealthCheckResult {
  const message = `timed out after ${timeoutMs} ms${stillRunning ? ' (previous run still in progress)' : ''}`;
  return result(name, HealthStatus.UNHEALTHY, message, {}, timeoutMs);
}

function result(name: string, status: HealthStatus, message: string, details: Record<string, unknown>,
  latencyMs: number): HealthCheckResult {
  return {
    name,
    status,
    message: scrubMessage(message),
    latency_ms: Math.round(latencyMs * 1000) / 1000,
    details: scrubValue(details) as Record<string, unknown>,
    checked_at: new Date().toISOString(),
  };
}

// Details are diagnostics, served on every /health request: a check returning a whole
// result set would bloat every response and every probe's cached run.
export const MAX_DETAILS_BYTES = 16 * 1024;

/**
 * Details must serialise and stay small; a circular, throwing or oversized object is
 * replaced by a note saying so.
 */
function jsonSafeDetails(details: unknown): Record<string, unknown> {
  if (details === undefined || details === null) return {};
  const record = typeof details === 'object' && !Array.isArray(details)
    ? details as Record<string, unknown>
    : { value: details };
  try {
    const bytes = Buffer.byteLength(JSON.stringify(record), 'utf8');
    if (bytes > MAX_DETAILS_BYTES) {
      return { error: `details omitted: ${bytes} bytes of JSON, more than the ${MAX_DETAILS_BYTES} allowed` };
    }
    return record;
  } catch (error) {
    return { error: `details are not serialisable as JSON: ${stringify(error instanceof Error ? error.message : error)}` };
  }
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
