// Counter: a value that only goes up (prom-client's lib/counter.js shape).

import type { Attributes, HrTime } from '@opentelemetry/api';
import type { SumMetricData } from '@opentelemetry/sdk-metrics';
import { DataPointType } from './otel-values.ts';
import { type ExemplarHolder, type Exemplars, recordExemplar } from './exemplars.ts';
import { Metric, type Series } from './metric.ts';
import type { RegistryState } from './state.ts';
import { badValue, negativeIncrement, noLabels } from './validate.ts';

/** One label set of a counter. */
export class CounterSeries implements Series, ExemplarHolder {
  value = 0;
  /** The last increment made in a sampled span (OpenMetrics only). */
  exemplars: Exemplars | undefined = undefined;
  readonly attributes: Attributes;
  private readonly state: RegistryState;
  private readonly metric: string;

  constructor(state: RegistryState, metric: string, attributes: Attributes) {
    this.state = state;
    this.metric = metric;
    this.attributes = attributes;
  }

  /** Adds `n` (default 1); `n` must be finite and not negative. */
  inc(n = 1): void {
    // One comparison rejects negatives, NaN, +Inf and non-numbers together.
    if (!(n >= 0 && n < Infinity) || typeof n !== 'number') this.reject(n);
    if (this.state.on) {
      this.value += n;
      if (this.state.exemplars) recordExemplar(this.state.exemplars, this, 1, 0, n);
    }
  }

  zero(): void {
    this.value = 0;
    this.exemplars = undefined;
  }

  private reject(n: unknown): never {
    if (typeof n === 'number' && n < 0) negativeIncrement(this.metric, n);
    return badValue(this.metric, 'counter increment', n);
  }
}

export class Counter<L extends string = string> extends Metric<CounterSeries, L> {
  constructor(state: RegistryState, name: string, help: string, labelNames: readonly L[]) {
    super('counter', state, name, help, labelNames);
    this.init();
  }

  /** For a counter without labels. */
  inc(n = 1): void {
    (this.single ?? noLabels(this.name)).inc(n);
  }

  protected createSeries(attributes: Attributes): CounterSeries {
    return new CounterSeries(this.state, this.name, attributes);
  }

  toMetricData(endTime: HrTime): SumMetricData {
    const data: SumMetricData = {
      ...this.metricData((s) => s.value, endTime),
      dataPointType: DataPointType.SUM,
      isMonotonic: true,
    };
    // `exemplars` rides along on the point for the exposition (OTel's point type has no such field).
    if (this.state.exemplars) {
      const series = this.series();
      for (let i = 0; i < series.length; i++) {
        const exemplars = (series[i] as CounterSeries).exemplars;
        if (exemplars) Object.assign(data.dataPoints[i] as object, { exemplars });
      }
    }
    return data;
  }
}
