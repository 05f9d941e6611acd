// MetricsRegistry: where metrics are declared (the spec's metrics_registry), and the
// MetricProducer through which OTel's reader pulls their data at collection time.

import type { CollectionResult, MetricData, MetricProducer } from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import { Counter } from './counter.ts';
import { sampledSpanReader } from './exemplars.ts';
import { Gauge } from './gauge.ts';
import { DEFAULT_BUCKETS, Histogram, type HistogramOptions } from './histogram.ts';
import type { Metric, MetricType, Series } from './metric.ts';
import { type RegistryState, createState, nowHrTime } from './state.ts';
import { MetricsError, checkBuckets, checkHelp, checkLabelNames, checkMetricName, checkReservedName } from './validate.ts';

/** How a gauge's values from several processes or threads are combined on /metrics (docs/processes.md). */
export interface GaugeOptions {
  /** 'sum' (default): added up per label set, as prom-client does; 'per-worker': one series per process, with a `worker` label. */
  aggregate?: 'sum' | 'per-worker';
}

/** The label a per-worker gauge's series get when processes are aggregated. */
export const WORKER_LABEL = 'worker';

function checkGaugeAggregate(name: string, options: GaugeOptions): boolean {
  const aggregate = options?.aggregate ?? 'sum';
  if (aggregate !== 'sum' && aggregate !== 'per-worker') {
    throw new MetricsError(`Metric "${name}": aggregate must be "sum" or "per-worker", got ${JSON.stringify(aggregate)}`);
  }
  return aggregate === 'per-worker';
}

/** Instrumentation scope of facade data; the exposition prints it exactly as declared. */
export const FACADE_SCOPE = '@wizamart/observability';

type AnyMetric = Metric<Series, string>;

export class MetricsRegistry {
  private readonly state: RegistryState = createState();
  private readonly metrics = new Map<string, AnyMetric>();
  /** Exposition names each metric occupies (a histogram also takes _bucket, _sum, _count). */
  private readonly taken = new Map<string, string>();
  private readonly collectHooks = new Set<() => void>();

  /** Hands facade data to an OTel MetricReader (exporter option `metricProducers`). */
  readonly producer: MetricProducer = {
    collect: async (): Promise<CollectionResult> => {
      const errors: unknown[] = [];
      const metrics = this.collect(errors);
      return {
        resourceMetrics: {
          // Ignored: the reader reports the MeterProvider's resource (src/resource.ts).
          resource: undefined as unknown as Resource,
          scopeMetrics: [{ scope: { name: FACADE_SCOPE }, metrics }],
        },
        errors,
      };
    },
  };

  counter<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Counter<L> {
    const labels = this.checkShape(name, help, labelNames, []);
    return this.existing(name, 'counter', help, labels, undefined) ?? this.add(new Counter(this.state, name, help, labels));
  }

  gauge<L extends string = never>(name: string, help: string, labelNames?: readonly L[], options: GaugeOptions = {}): Gauge<L> {
    const perWorker = checkGaugeAggregate(name, options);
    // A per-worker gauge gets the `worker` label when aggregated (src/processes/aggregate.ts).
    const labels = this.checkShape(name, help, labelNames, perWorker ? [WORKER_LABEL] : []);
    const found = this.existing<Gauge<L>>(name, 'gauge', help, labels, undefined);
    if (found) return found;
    const gauge = this.add(new Gauge<L>(this.state, name, help, labels));
    if (perWorker) gauge.aggregation = 'per-process';
    return gauge;
  }

  histogram<L extends string = never>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    options: HistogramOptions = {},
  ): Histogram<L> {
    const labels = this.checkShape(name, help, labelNames, ['le']);
    const buckets = options.buckets === undefined ? DEFAULT_BUCKETS : checkBuckets(name, options.buckets);
    return (
      this.existing(name, 'histogram', help, labels, buckets) ??
      this.add(new Histogram(this.state, name, help, labels, buckets))
    );
  }

  /** The declared metric of that name, if any. */
  get(name: string): AnyMetric | undefined {
    return this.metrics.get(name);
  }

  /** Names of every declared metric, in declaration order. */
  names(): string[] {
    return [...this.metrics.keys()];
  }

  /** Forgets a metric (its name can be declared again with another shape). */
  removeMetric(name: string): void {
    const metric = this.metrics.get(name);
    if (!metric) return;
    this.metrics.delete(name);
    for (const [series, owner] of this.taken) if (owner === name) this.taken.delete(series);
  }

  /** Whether calls currently record (a pipeline is running). */
  get enabled(): boolean {
    return this.state.on;
  }

  get cardinalityLimit(): number {
    return this.state.cardinalityLimit;
  }

  /** Series per metric before new label sets go to the overflow series; applies to new series. */
  set cardinalityLimit(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new MetricsError(`cardinalityLimit must be a positive integer, got ${String(limit)}`);
    }
    this.state.cardinalityLimit = limit;
  }

  /**
   * Starts recording. Values recorded before are not kept: each pipeline counts from its
   * own start, which is also the startTime it reports to OTel.
   */
  enable(): void {
    for (const metric of this.metrics.values()) metric.zeroAll();
    this.state.startTime = nowHrTime();
    this.state.on = true;
  }

  /** Back to validate-and-drop. */
  disable(): void {
    this.state.on = false;
    this.state.exemplars = undefined;
  }

  /** Histograms and counters keep exemplars from sampled spans (only worth it, and only done, when tracing is on). */
  enableExemplars(): void {
    this.state.exemplars = sampledSpanReader();
  }

  /** Runs `hook` at every collection, before data is read (scrape-time gauges). Returns an unsubscribe. */
  onCollect(hook: () => void): () => void {
    this.collectHooks.add(hook);
    return () => this.collectHooks.delete(hook);
  }

  /**
   * Snapshot of every metric as OTel MetricData, in declaration order. A failing hook
   * leaves its metrics as they were and lands in `errors`; the rest is still reported.
   */
  collect(errors: unknown[] = []): MetricData[] {
    for (const hook of this.collectHooks) {
      try {
        hook();
      } catch (err) {
        errors.push(err);
      }
    }
    const endTime = nowHrTime();
    const out: MetricData[] = [];
    for (const metric of this.metrics.values()) out.push(metric.toMetricData(endTime));
    return out;
  }

  private checkShape<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[] | undefined,
    reserved: readonly string[],
  ): readonly L[] {
    checkMetricName(name);
    checkReservedName(name);
    checkHelp(name, help);
    return checkLabelNames(name, labelNames, reserved) as readonly L[];
  }

  /** Same shape returns the existing metric; any difference is a mistake worth an error. */
  private existing<M>(
    name: string,
    type: MetricType,
    help: string,
    labels: readonly string[],
    buckets: readonly number[] | undefined,
  ): M | undefined {
    const found = this.metrics.get(name);
    if (!found) {
      const owner = this.taken.get(name);
      if (owner !== undefined) {
        throw new MetricsError(`Metric "${name}" clashes with the series of ${this.metrics.get(owner)?.type} "${owner}"`);
      }
      return undefined;
    }
    const was = describeShape(found.type, found.help, found.labelNames, (found as { buckets?: readonly number[] }).buckets);
    const now = describeShape(type, help, labels, buckets);
    if (was !== now) {
      throw new MetricsError(`Metric "${name}" is already declared as ${was}; cannot re-declare it as ${now}`);
    }
    return found as M;
  }

  private add<M extends AnyMetric>(metric: M): M {
    const names = metric.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => metric.name + s) : [];
    for (const series of names) {
      const owner = this.taken.get(series);
      if (owner !== undefined) {
        throw new MetricsError(`Metric "${metric.name}": its series "${series}" clashes with metric "${owner}"`);
      }
    }
    for (const series of [metric.name, ...names]) this.taken.set(series, metric.name);
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

function describeShape(type: MetricType, help: string, labels: readonly string[], buckets?: readonly number[]): string {
  const parts = [`a ${type}`, `help ${JSON.stringify(help)}`, `labels [${labels.join(', ')}]`];
  if (buckets) parts.push(`buckets [${buckets.join(', ')}]`);
  return parts.join(', ');
}

/** The process-wide registry behind `metricsRegistry.counter(...)`. */
export const metricsRegistry = new MetricsRegistry();
