// What a process or thread reports of its facade metrics to the one that serves /metrics:
// every metric except the 'local' ones, and which are per-process (src/metrics/metric.ts).

import type { MetricData } from '@opentelemetry/sdk-metrics';
import type { MetricsRegistry } from '../metrics/registry.ts';
import type { Snapshot } from './aggregate.ts';

/** `metrics`: a collection of `registry` (what the scrape collected, or a fresh one). */
export function snapshotOf(registry: MetricsRegistry, metrics: MetricData[] = registry.collect()): Snapshot {
  const reported: MetricData[] = [];
  const perProcess: string[] = [];
  for (const metric of metrics) {
    const aggregation = registry.get(metric.descriptor.name)?.aggregation ?? 'sum';
    if (aggregation === 'local') continue;
    if (aggregation === 'per-process') perProcess.push(metric.descriptor.name);
    reported.push(metric);
  }
  return { metrics: reported, perProcess };
}

/** Puts back what snapshotOf left out ('local' metrics), after the aggregate, in the serving process. */
export function withLocal(registry: MetricsRegistry, own: MetricData[], aggregated: MetricData[]): MetricData[] {
  return [...aggregated, ...own.filter((metric) => registry.get(metric.descriptor.name)?.aggregation === 'local')];
}
