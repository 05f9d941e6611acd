// Gauge: a value that goes up and down (prom-client's lib/gauge.js shape).
//
// Unlike counters and histograms, a gauge records even before metrics start and keeps its
// value across a start: it is state, not a stream of events. An info gauge set at module
// load must show once metrics start, and an inc() on connect before start followed by a
// dec() on disconnect after it must not leave the gauge at -1.

import type { Attributes, HrTime } from '@opentelemetry/api';
import type { GaugeMetricData } from '@opentelemetry/sdk-metrics';
import { DataPointType } from './otel-values.ts';
import { Metric, type Series } from './metric.ts';
import type { RegistryState } from './state.ts';
import { badValue, noLabels } from './validate.ts';

/** One label set of a gauge. */
export class GaugeSeries implements Series {
  value = 0;
  readonly attributes: Attributes;
  private readonly metric: string;

  constructor(metric: string, attributes: Attributes) {
    this.metric = metric;
    this.attributes = attributes;
  }

  set(v: number): void {
    // `v - v === 0` holds exactly for finite numbers (NaN and ±Inf give NaN).
    if (typeof v !== 'number' || v - v !== 0) badValue(this.metric, 'gauge value', v);
    this.value = v;
  }

  inc(n = 1): void {
    if (typeof n !== 'number' || n - n !== 0) badValue(this.metric, 'gauge increment', n);
    this.value += n;
  }

  dec(n = 1): void {
    if (typeof n !== 'number' || n - n !== 0) badValue(this.metric, 'gauge decrement', n);
    this.value -= n;
  }

  zero(): void {
    this.value = 0;
  }
}

export class Gauge<L extends string = string> extends Metric<GaugeSeries, L> {
  constructor(state: RegistryState, name: string, help: string, labelNames: readonly L[]) {
    super('gauge', state, name, help, labelNames);
    this.init();
  }

  /** For a gauge without labels. */
  set(v: number): void {
    (this.single ?? noLabels(this.name)).set(v);
  }

  inc(n = 1): void {
    (this.single ?? noLabels(this.name)).inc(n);
  }

  dec(n = 1): void {
    (this.single ?? noLabels(this.name)).dec(n);
  }

  /** A start keeps gauge values (see the top of this file). */
  override zeroAll(): void {}

  protected createSeries(attributes: Attributes): GaugeSeries {
    return new GaugeSeries(this.name, attributes);
  }

  toMetricData(endTime: HrTime): GaugeMetricData {
    return { ...this.metricData((s) => s.value, endTime), dataPointType: DataPointType.GAUGE };
  }
}
