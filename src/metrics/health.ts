// Health results as metrics. Read from the latest results the health registry already
// holds; a scrape never runs a check (a slow dependency must not slow /metrics).

import type { MetricsRegistry } from './registry.ts';

export interface HealthResultLike {
  name: string;
  status: 'healthy' | 'degraded' | 'unhealthy';
  latency_ms: number;
  /** A failing non-critical check degrades the service but keeps it ready; alerts treat the two apart. */
  critical?: boolean;
}

/** 1 healthy, 0.5 degraded, 0 unhealthy: `min(health_check_status) < 1` alerts on anything not healthy. */
export const HEALTH_STATUS_VALUE = { healthy: 1, degraded: 0.5, unhealthy: 0 } as const;

export function recordHealthMetrics(registry: MetricsRegistry, results: () => readonly HealthResultLike[]): () => void {
  const status = registry.gauge('health_check_status', 'Latest health check status: 1 healthy, 0.5 degraded, 0 unhealthy.',
    ['check', 'critical']);
  const duration = registry.gauge('health_check_duration_seconds', 'Duration of the latest run of each health check in seconds.', ['check']);
  return registry.onCollect(() => {
    let latest: readonly HealthResultLike[];
    try {
      latest = results();
    } catch {
      return; // keep the last values; a broken provider must not fail the scrape
    }
    // Checks can be unregistered; rebuild so a removed check does not linger.
    status.reset();
    duration.reset();
    for (const result of latest) {
      const value = HEALTH_STATUS_VALUE[result.status];
      if (value === undefined) continue;
      status.labels(result.name, result.critical === false ? 'false' : 'true').set(value);
      if (Number.isFinite(result.latency_ms)) duration.labels(result.name).set(result.latency_ms / 1000);
    }
  });
}
