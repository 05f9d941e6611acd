// Histogram: counts of observations per declared bucket, plus their sum and count
// (prom-client's lib/histogram.js shape). Buckets are stored per bucket, not cumulative,
// which is what OTel's Histogram point carries; the exposition accumulates them.

import type { Attributes, HrTime } from '@opentelemetry/api';
import type { Histogram as OTelHistogram, HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { DataPointType } from './otel-values.ts';
import { type ExemplarHolder, type Exemplars, recordExemplar } from './exemplars.ts';
import { Metric, type Series } from './metric.ts';
import type { RegistryState } from './state.ts';
import { badValue, noLabels } from './validate.ts';

/** prom-client's defaults, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

export interface HistogramOptions {
  /** Upper bounds, strictly increasing; +Inf is implied. Default: prom-client's seconds buckets. */
  buckets?: readonly number[];
}

/** One label set of a histogram. */
export class HistogramSeries implements Series, ExemplarHolder {
  /** counts[i] for bounds[i]; the last slot is the +Inf bucket. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** Per bucket, the last observation made in a sampled span (OpenMetrics only). */
  exemplars: Exemplars | undefined = undefined;
  readonly attributes: Attributes;
  private readonly state: RegistryState;
  private readonly metric: string;
  private readonly bounds: readonly number[];

  constructor(state: RegistryState, metric: string, bounds: readonly number[], attributes: Attributes) {
    this.state = state;
    this.metric = metric;
    this.bounds = bounds;
    this.attributes = attributes;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    if (typeof v !== 'number' || v - v !== 0) badValue(this.metric, 'observed value', v);
    if (!this.state.on) return;
    // Linear scan: bucket lists are short (prom-client's default has 11) and most values land early.
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && v > (bounds[i] as number)) i++;
    (this.counts[i] as number)++;
    this.sum += v;
    this.count++;
    if (this.state.exemplars) recordExemplar(this.state.exemplars, this, this.counts.length, i, v);
  }

  /** Starts a timer; calling the returned function observes and returns the elapsed seconds. */
  startTimer(): () => number {
    const start = performance.now();
    return () => {
      const seconds = (performance.now() - start) / 1000;
      this.observe(seconds);
      return seconds;
    };
  }

  zero(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.exemplars = undefined;
  }
}

export class Histogram<L extends string = string> extends Metric<HistogramSeries, L> {
  readonly buckets: readonly number[];

  constructor(state: RegistryState, name: string, help: string, labelNames: readonly L[], buckets: readonly number[]) {
    super('histogram', state, name, help, labelNames);
    this.buckets = buckets;
    this.init();
  }

  /** For a histogram without labels. */
  observe(v: number): void {
    (this.single ?? noLabels(this.name)).observe(v);
  }

  startTimer(): () => number {
    return (this.single ?? noLabels(this.name)).startTimer();
  }

  protected createSeries(attributes: Attributes): HistogramSeries {
    return new HistogramSeries(this.state, this.name, this.buckets, attributes);
  }

  toMetricData(endTime: HrTime): HistogramMetricData {
    const boundaries = this.buckets as number[];
    // Copies, so a scrape serialises one consistent snapshot even if observe() runs meanwhile.
    return {
      ...this.metricData(
        // `exemplars` rides along for the exposition (OTel's point type has no such field).
        (s): OTelHistogram => ({ buckets: { boundaries, counts: Array.from(s.counts) }, sum: s.sum, count: s.count, exemplars: s.exemplars }) as OTelHistogram,
        endTime,
      ),
      dataPointType: DataPointType.HISTOGRAM,
    };
  }
}
