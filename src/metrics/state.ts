// What every metric and series of one registry shares. A single mutable object so that
// turning metrics on or off, or changing the cap, is one write and the hot path reads
// one field instead of asking the registry.

import type { HrTime } from '@opentelemetry/api';
import type { SampledSpan } from './exemplars.ts';

export interface RegistryState {
  /** Recording is on only while a pipeline runs; otherwise every call validates and drops. */
  on: boolean;
  /** Series per metric before new label sets go to the overflow series. */
  cardinalityLimit: number;
  /** Start of the cumulative interval, reported to OTel as each point's startTime. */
  startTime: HrTime;
  /**
   * Set when the SDK's tracing is on: reads the active sampled span, and histograms and
   * counters keep exemplars from it (src/metrics/exemplars.ts). Unset: no exemplars.
   */
  exemplars: SampledSpan | undefined;
}

export const DEFAULT_CARDINALITY_LIMIT = 2000;

/** OTel's own overflow attribute, so facade and OTel instruments overflow the same way. */
export const OVERFLOW_LABEL = 'otel_metric_overflow';

export function nowHrTime(): HrTime {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

export function createState(): RegistryState {
  return { on: false, cardinalityLimit: DEFAULT_CARDINALITY_LIMIT, startTime: nowHrTime(), exemplars: undefined };
}
