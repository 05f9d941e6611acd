// One exposition from the facade data of several processes or threads (prom-client's
// AggregatorRegistry, src lib/cluster.js + lib/metricAggregators.js, with its default "sum"):
//
//   counters     summed per label set
//   histograms   merged per label set: bucket counts, sum and count added
//   gauges       summed per label set (prom-client's default aggregator), or per process
//                when declared with `{ aggregate: 'per-worker' }`
//   per-process  families that describe one process (runtime: CPU, memory, event loop, GC)
//                are not added up: when several sources report one, each source's series
//                get a `worker` label instead
//
// A source whose metric has another shape than the first source's (type, or histogram
// buckets) is left out of that family, with a warning: adding them up would be wrong.
//
// Sources come and go. `PeerBook` keeps each peer's latest snapshot (a peer that is slow
// to answer contributes what it said last time) and, when a peer leaves, folds its
// counters and histograms into a "departed" total, so a summed counter never goes down
// while the service lives: what a dead worker counted stays counted.

import type { Attributes, HrTime } from '@opentelemetry/api';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { DataPointType } from '../metrics/otel-values.ts';
import { WORKER_LABEL } from '../metrics/registry.ts';
import { warn } from '../warnings.ts';

export { WORKER_LABEL };

/** What one process or thread reports: its facade metrics and which of them are per-process. */
export interface Snapshot {
  metrics: MetricData[];
  perProcess: string[];
}

export interface Source {
  /** The `worker` label value of its per-process series: "primary", a cluster worker id, "thread 3". */
  label: string;
  snapshot: Snapshot;
}

/**
 * Label sets by their text, kept from one aggregation to the next, so that a series keeps
 * one attributes object from scrape to scrape: the exposition caches each label set's
 * text by that object (src/metrics/exposition.ts), and the sources' objects are new at
 * every scrape (they came over a channel). Label sets no longer seen are forgotten.
 */
export class LabelSets {
  #previous = new Map<string, Attributes>();
  #current = new Map<string, Attributes>();

  /** The kept object for the label set `key`, or `attributes`, kept from now on. */
  get(key: string, attributes: Attributes): Attributes {
    const kept = this.#current.get(key) ?? this.#previous.get(key) ?? attributes;
    this.#current.set(key, kept);
    return kept;
  }

  /** One aggregation is done: what it did not use goes at the end of the next. */
  next(): void {
    this.#previous = this.#current;
    this.#current = new Map();
  }
}

/** Merges the sources' metrics, in order of first appearance. */
export function combine(sources: readonly Source[], labelSets?: LabelSets): Snapshot {
  const families = new Map<string, { label: string; metric: MetricData; perProcess: boolean }[]>();
  const perProcess = new Set<string>();
  for (const { label, snapshot } of sources) {
    const own = new Set(snapshot.perProcess);
    for (const metric of snapshot.metrics) {
      const name = metric.descriptor.name;
      if (own.has(name)) perProcess.add(name);
      let family = families.get(name);
      if (!family) families.set(name, (family = []));
      family.push({ label, metric, perProcess: own.has(name) });
    }
  }
  const metrics: MetricData[] = [];
  for (const [name, family] of families) {
    const first = family[0]!.metric;
    const alike = family.filter(({ label, metric }) => {
      if (sameShape(first, metric)) return true;
      warn('OBS_AGGREGATE_MISMATCH', `metric "${name}" of ${label} has another type or other buckets than elsewhere; `
        + 'its values are left out of the aggregated /metrics', `aggregate-mismatch:${name}:${label}`);
      return false;
    });
    // One process's per-process series need no label: nothing to tell them apart from.
    const separate = alike.filter((entry) => entry.perProcess).length > 1;
    metrics.push(merge(first, alike.map(({ label, metric, perProcess: own }) => (own && separate ? withWorker(metric, label) : metric)), labelSets));
  }
  return { metrics, perProcess: [...perProcess] };
}

function sameShape(a: MetricData, b: MetricData): boolean {
  if (a.dataPointType !== b.dataPointType) return false;
  if (a.dataPointType !== DataPointType.HISTOGRAM) return true;
  const bounds = (m: MetricData) => (m.dataPoints[0] as DataPoint<Histogram> | undefined)?.value.buckets.boundaries;
  const x = bounds(a);
  const y = bounds(b);
  return x === undefined || y === undefined || (x.length === y.length && x.every((v, i) => v === y[i]));
}

function withWorker(metric: MetricData, label: string): MetricData {
  return {
    ...metric,
    dataPoints: metric.dataPoints.map((point) => ({ ...point, attributes: { ...point.attributes, [WORKER_LABEL]: label } })),
  } as MetricData;
}

type Point = { -readonly [K in keyof DataPoint<number | Histogram>]: DataPoint<number | Histogram>[K] };

/** One family from the same family of several sources: points with equal labels are added up. */
function merge(first: MetricData, metrics: readonly MetricData[], labelSets: LabelSets | undefined): MetricData {
  const points = new Map<string, Point>();
  for (const metric of metrics) {
    for (const point of metric.dataPoints as DataPoint<number | Histogram>[]) {
      const key = JSON.stringify(point.attributes);
      const seen = points.get(key);
      if (!seen) {
        const fresh = copy(point);
        if (labelSets) fresh.attributes = labelSets.get(key, point.attributes);
        points.set(key, fresh);
        continue;
      }
      seen.startTime = earlier(seen.startTime, point.startTime);
      seen.endTime = later(seen.endTime, point.endTime);
      if (typeof seen.value === 'number') seen.value += point.value as number;
      else addHistogram(seen.value, point.value as Histogram);
    }
  }
  return { ...first, dataPoints: [...points.values()] } as MetricData;
}

function copy(point: DataPoint<number | Histogram>): Point {
  if (typeof point.value === 'number') return { ...point };
  const { buckets, sum, count } = point.value;
  return { ...point, value: { buckets: { boundaries: buckets.boundaries, counts: [...buckets.counts] }, sum, count } };
}

function addHistogram(into: Histogram, from: Histogram): void {
  const counts = into.buckets.counts;
  for (let i = 0; i < counts.length; i++) counts[i] = (counts[i] as number) + (from.buckets.counts[i] ?? 0);
  into.sum = (into.sum ?? 0) + (from.sum ?? 0);
  into.count += from.count;
}

function earlier(a: HrTime, b: HrTime): HrTime {
  return a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]) ? a : b;
}

function later(a: HrTime, b: HrTime): HrTime {
  return earlier(a, b) === a ? b : a;
}

/** Whether a family only grows while its source lives (what a departed source leaves behind). */
function cumulative(metric: MetricData): boolean {
  return metric.dataPointType === DataPointType.HISTOGRAM
    || (metric.dataPointType === DataPointType.SUM && metric.isMonotonic);
}

/** The latest snapshot of every peer, and what the departed ones counted. */
export class PeerBook {
  readonly #latest = new Map<string, Source>();
  #departed: Snapshot = { metrics: [], perProcess: [] };

  /** Records what peer `id` (labelled `label`) reported. */
  update(id: string, label: string, snapshot: Snapshot): void {
    this.#latest.set(id, { label, snapshot });
  }

  has(id: string): boolean {
    return this.#latest.has(id);
  }

  ids(): string[] {
    return [...this.#latest.keys()];
  }

  /** A peer left: its counters and histograms stay counted; its gauges and per-process series go. */
  depart(id: string): void {
    const gone = this.#latest.get(id);
    if (!gone) return;
    this.#latest.delete(id);
    const perProcess = new Set(gone.snapshot.perProcess);
    const kept = gone.snapshot.metrics.filter((metric) => cumulative(metric) && !perProcess.has(metric.descriptor.name));
    this.#departed = combine([
      { label: 'departed', snapshot: this.#departed },
      { label: 'departed', snapshot: { metrics: kept, perProcess: [] } },
    ]);
  }

  /** Every peer's latest snapshot, and the departed total, as sources for combine(). */
  sources(): Source[] {
    const sources = [...this.#latest.values()];
    if (this.#departed.metrics.length > 0) sources.push({ label: 'departed', snapshot: this.#departed });
    return sources;
  }

  /** Whether anything from a peer is (or was) there to aggregate. */
  get empty(): boolean {
    return this.#latest.size === 0 && this.#departed.metrics.length === 0;
  }
}
