// How a process's snapshot travels to the one that serves /metrics (the cluster's IPC
// channel, PM2 siblings' socket): JSON, so its size is what a scrape pays for, parsed in
// the serving process once per worker per scrape. OpenTelemetry's MetricData repeats, on
// every point, its start and end times (and a histogram's bucket boundaries); packed, a
// metric carries those once and each point is a tuple: about a fifth of the bytes
// (bench/cluster-scrape.ts). Threads post snapshots by structured clone: no packing there.
// Exemplars stay in the process that recorded them: they are objects with methods, which
// JSON would turn into plain data the exposition cannot render.

import type { Attributes, HrTime } from '@opentelemetry/api';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { DataPointType } from '../metrics/otel-values.ts';
import type { Snapshot } from './aggregate.ts';

type NumberPoint = [attributes: Attributes, value: number];
type HistogramPoint = [attributes: Attributes, counts: number[], sum: number | null, count: number, min: number | null, max: number | null];

type Flat = string | number | boolean;

type PackedMetric =
  /**
   * Points that all have the same label names, in the same order (the facade's always do):
   * the names once, then per point its label values and its value, in one flat array.
   */
  | { metric: Omit<MetricData, 'dataPoints'>; start: HrTime; end: HrTime; names: string[]; rows: Flat[] }
  | { metric: Omit<MetricData, 'dataPoints'>; start: HrTime; end: HrTime; numbers: NumberPoint[] }
  | { metric: Omit<MetricData, 'dataPoints'>; start: HrTime; end: HrTime; boundaries: number[]; histograms: HistogramPoint[] }
  /** Anything else (exponential histograms: the facade makes none) goes as it is. */
  | { raw: MetricData };

export interface PackedSnapshot {
  packed: PackedMetric[];
  perProcess: string[];
}

export function pack(snapshot: Snapshot): PackedSnapshot {
  return { packed: snapshot.metrics.map(packMetric), perProcess: snapshot.perProcess };
}

/** A snapshot as sent: packed by another process, or as it is (by a thread, or an older SDK). */
export function unpack(sent: Snapshot | PackedSnapshot): Snapshot {
  if (!('packed' in sent)) return sent;
  return { metrics: sent.packed.map(unpackMetric), perProcess: sent.perProcess };
}

function packMetric(metric: MetricData): PackedMetric {
  const { dataPoints, ...rest } = metric;
  const first = dataPoints[0];
  if (!first || (metric.dataPointType !== DataPointType.HISTOGRAM && typeof first.value !== 'number')) return { raw: metric };
  let start = first.startTime;
  let end = first.endTime;
  for (const point of dataPoints) {
    if (before(point.startTime, start)) start = point.startTime;
    if (before(end, point.endTime)) end = point.endTime;
  }
  if (metric.dataPointType !== DataPointType.HISTOGRAM) {
    const points = dataPoints as DataPoint<number>[];
    const rows = flatRows(points);
    if (rows) return { metric: rest, start, end, names: Object.keys(first.attributes), rows };
    return { metric: rest, start, end, numbers: points.map((p) => [p.attributes, p.value]) };
  }
  const points = dataPoints as DataPoint<Histogram>[];
  return {
    metric: rest, start, end,
    boundaries: points[0]!.value.buckets.boundaries,
    histograms: points.map(({ attributes, value }) =>
      [attributes, value.buckets.counts, value.sum ?? null, value.count, value.min ?? null, value.max ?? null]),
  };
}

function unpackMetric(packed: PackedMetric): MetricData {
  if ('raw' in packed) return packed.raw;
  const { metric, start: startTime, end: endTime } = packed;
  if ('rows' in packed) {
    const { names, rows } = packed;
    const width = names.length + 1;
    const dataPoints: DataPoint<number>[] = [];
    for (let i = 0; i < rows.length; i += width) {
      const attributes: Attributes = {};
      for (let j = 0; j < names.length; j++) attributes[names[j]!] = rows[i + j];
      dataPoints.push({ startTime, endTime, attributes, value: rows[i + names.length] as number });
    }
    return { ...metric, dataPoints } as MetricData;
  }
  if ('numbers' in packed) {
    return { ...metric, dataPoints: packed.numbers.map(([attributes, value]) => ({ startTime, endTime, attributes, value })) } as MetricData;
  }
  const { boundaries } = packed;
  const dataPoints = packed.histograms.map(([attributes, counts, sum, count, min, max]): DataPoint<Histogram> => ({
    startTime, endTime, attributes,
    value: {
      buckets: { boundaries, counts }, count,
      ...(sum === null ? {} : { sum }),
      ...(min === null ? {} : { min }),
      ...(max === null ? {} : { max }),
    },
  }));
  return { ...metric, dataPoints } as MetricData;
}

/** The points' label values and values in one array, when every point has the first one's label names and only flat values. */
function flatRows(points: readonly DataPoint<number>[]): Flat[] | undefined {
  const names = Object.keys(points[0]!.attributes);
  const rows: Flat[] = [];
  for (const { attributes, value } of points) {
    const keys = Object.keys(attributes);
    if (keys.length !== names.length) return undefined;
    for (let j = 0; j < names.length; j++) {
      const labelValue = attributes[names[j]!];
      if (keys[j] !== names[j] || (typeof labelValue !== 'string' && typeof labelValue !== 'number' && typeof labelValue !== 'boolean')) return undefined;
      rows.push(labelValue);
    }
    rows.push(value);
  }
  return rows;
}

function before(a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}
