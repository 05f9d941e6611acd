// The part every metric type shares: declared shape, the label-set -> series lookup with
// its cardinality guard, and the hand-over of series to OTel at collection time.
//
// Series are found through nested Maps keyed by each label value in declared order, so a
// lookup of an existing series hashes strings that already exist and allocates nothing
// (no joined key string, no attribute hashing as in OTel's counter.add(v, attrs)).

import type { Attributes, HrTime } from '@opentelemetry/api';
import type { DataPoint, MetricData, MetricDescriptor } from '@opentelemetry/sdk-metrics';
import { AggregationTemporality, ValueType } from './otel-values.ts';
import { warn } from '../warnings.ts';
import { type RegistryState, DEFAULT_CARDINALITY_LIMIT, OVERFLOW_LABEL } from './state.ts';
import { type LabelValue, badLabelValue, labelMismatch, wrongLabelCount } from './validate.ts';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** How a metric is aggregated across processes and threads; see Metric.aggregation. */
export type Aggregation = 'sum' | 'per-process' | 'local';

/** Label values by name; every declared label is required. */
export type Labels<L extends string> = Readonly<Record<L, LabelValue>>;

/** What one bound series must offer the collector. */
export interface Series {
  readonly attributes: Attributes;
  /** Back to zero; used when a pipeline starts so it counts from its own start. */
  zero(): void;
}

type Node = Map<string, unknown>;

export abstract class Metric<S extends Series, L extends string = string> {
  readonly type: MetricType;
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  protected readonly state: RegistryState;
  /** The one series of a metric declared without labels. */
  protected single: S | undefined;
  private root: Node = new Map();
  private all: S[] = [];
  private overflow: S | undefined;
  /**
   * The SDK's own families (runtime, health, HTTP request metrics) have known, bounded label
   * sets: METRICS_CARDINALITY_LIMIT is the user's guard for the user's metrics and never
   * cuts them below the default.
   */
  builtIn = false;
  /**
   * How the metric is aggregated across processes and threads (src/processes/aggregate.ts):
   * 'sum' adds up equal label sets; 'per-process' keeps each process's series apart with a
   * `worker` label (runtime metrics); 'local' is never reported to another process (health
   * metrics: the process that serves reports every worker's checks itself).
   */
  aggregation: Aggregation = 'sum';

  constructor(type: MetricType, state: RegistryState, name: string, help: string, labelNames: readonly L[]) {
    this.type = type;
    this.state = state;
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  /** Subclasses call this at the end of their constructor, once createSeries can run. */
  protected init(): void {
    if (this.labelNames.length === 0) this.single = this.createSeries(Object.freeze({}));
  }

  protected abstract createSeries(attributes: Attributes): S;

  /** This metric's series as OTel data: what the MetricProducer hands the reader at collection. */
  abstract toMetricData(endTime: HrTime): MetricData;

  /** The bound series for one label set: `labels({ method: 'GET' })` or `labels('GET')` in declared order. */
  labels(values: Labels<L>): S;
  labels(...values: LabelValue[]): S;
  labels(first?: Labels<L> | LabelValue): S {
    const names = this.labelNames;
    const n = names.length;
    if (typeof first === 'object' && first !== null) {
      let node: unknown = this.root;
      for (let i = 0; i < n && node !== undefined; i++) {
        let v: unknown = first[names[i] as L];
        if (typeof v !== 'string') v = this.labelString(names[i] as L, v, first);
        node = (node as Node).get(v as string);
      }
      // Extra keys would be silently dropped otherwise; counting them is cheaper than Object.keys.
      let count = 0;
      for (const _key in first) count++;
      if (count !== n) labelMismatch(this.name, names, first);
      if (n === 0) return this.single as S;
      return node === undefined ? this.miss(names.map((name) => this.labelString(name, first[name], first))) : (node as S);
    }
    // Positional: `arguments` avoids allocating a rest array on every call.
    // eslint-disable-next-line prefer-rest-params
    const args = arguments;
    if (args.length !== n) wrongLabelCount(this.name, names, args.length);
    if (n === 0) return this.single as S;
    let node: unknown = this.root;
    for (let i = 0; i < n && node !== undefined; i++) {
      let v: unknown = args[i];
      if (typeof v !== 'string') v = this.labelString(names[i] as L, v, undefined);
      node = (node as Node).get(v as string);
    }
    return node === undefined
      ? this.miss(names.map((name, i) => this.labelString(name, args[i], undefined)))
      : (node as S);
  }

  /** Drops every labelled series (bound series held by callers stop being exported) and zeroes an unlabelled one. */
  reset(): void {
    this.root = new Map();
    this.all = [];
    this.overflow = undefined;
    this.single?.zero();
  }

  /** Zeroes values but keeps series, so bound series cached at module load keep working. */
  zeroAll(): void {
    this.single?.zero();
    for (const s of this.all) s.zero();
    this.overflow?.zero();
  }

  /** Series to report, in creation order, overflow last. */
  protected series(): S[] {
    if (this.single) return [this.single];
    return this.overflow ? [...this.all, this.overflow] : this.all;
  }

  /** The type-independent part of toMetricData; `point` reads one series' value. */
  protected metricData<T>(point: (s: S) => T, endTime: HrTime): {
    descriptor: MetricDescriptor;
    aggregationTemporality: typeof AggregationTemporality.CUMULATIVE;
    dataPoints: DataPoint<T>[];
  } {
    const startTime = this.state.startTime;
    const series = this.series();
    const dataPoints = new Array<DataPoint<T>>(series.length);
    for (let i = 0; i < series.length; i++) {
      const s = series[i] as S;
      dataPoints[i] = { startTime, endTime, attributes: s.attributes, value: point(s) };
    }
    return {
      // Units are part of the declared name (`_seconds`), never a separate suffix.
      descriptor: { name: this.name, description: this.help, unit: '', valueType: ValueType.DOUBLE },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPoints,
    };
  }

  private labelString(label: L, v: unknown, values: object | undefined): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (v === undefined && values) labelMismatch(this.name, this.labelNames, values);
    return badLabelValue(this.name, label, v);
  }

  private limit(): number {
    return this.builtIn ? Math.max(this.state.cardinalityLimit, DEFAULT_CARDINALITY_LIMIT) : this.state.cardinalityLimit;
  }

  /** A label set not seen before: a new series, or the overflow series past the cap. */
  private miss(values: string[]): S {
    if (this.all.length >= this.limit()) return this.overflowSeries();
    const attributes: Record<string, string> = {};
    for (let i = 0; i < values.length; i++) attributes[this.labelNames[i] as string] = values[i] as string;
    const series = this.createSeries(Object.freeze(attributes));
    let node = this.root;
    for (let i = 0; i < values.length - 1; i++) {
      let next = node.get(values[i] as string) as Node | undefined;
      if (next === undefined) node.set(values[i] as string, (next = new Map()));
      node = next;
    }
    node.set(values[values.length - 1] as string, series);
    this.all.push(series);
    return series;
  }

  private overflowSeries(): S {
    if (this.overflow === undefined) {
      this.overflow = this.createSeries(Object.freeze({ [OVERFLOW_LABEL]: 'true' }));
      warn(
        'OBS_CARDINALITY_LIMIT',
        `metric "${this.name}" reached its cardinality limit of ${this.limit()} series; ` +
          `further label sets are counted in the series {${OVERFLOW_LABEL}="true"}; series that exist keep counting. ` +
          (this.builtIn
            // The SDK's own labels are bounded by design (route templates, normalised methods): not the user's doing.
            ? 'This is one of the SDK\'s own metrics, whose labels should be bounded: please report it with a sample of /metrics.'
            : 'Check its labels for unbounded values (ids, raw paths).'),
        `metrics-overflow:${this.name}`,
      );
    }
    return this.overflow;
  }
}
