// Exemplars: the trace behind an observation, so a latency spike in Grafana links to a trace
// that caused it. A histogram series keeps, per bucket, the last observation made while a
// sampled span was active (OpenMetrics allows one exemplar per bucket; "last" needs no
// comparison and no clock beyond Date.now()); a counter series keeps its last increment, as
// one slot. Only read by the OpenMetrics exposition.
//
// Cost: nothing unless the SDK's tracing is on (RegistryState.exemplars, one field read).
// With tracing on, an observation reads the active context and the span's ids (strings the
// span already holds) and stores them in arrays allocated on the series' first sampled
// observation: no allocation per observation. The text is rendered at scrape, once per change.

import type * as Api from '@opentelemetry/api';
import { load } from '../telemetry/load.ts';

export class Exemplars {
  private readonly traceIds: Array<string | undefined>;
  private readonly spanIds: Array<string | undefined>;
  private readonly values: Float64Array;
  /** Milliseconds since the epoch. */
  private readonly times: Float64Array;
  private readonly texts: Array<string | undefined>;

  constructor(buckets: number) {
    this.traceIds = new Array<string | undefined>(buckets).fill(undefined);
    this.spanIds = new Array<string | undefined>(buckets).fill(undefined);
    this.texts = new Array<string | undefined>(buckets).fill(undefined);
    this.values = new Float64Array(buckets);
    this.times = new Float64Array(buckets);
  }

  record(bucket: number, value: number, traceId: string, spanId: string): void {
    this.traceIds[bucket] = traceId;
    this.spanIds[bucket] = spanId;
    this.values[bucket] = value;
    this.times[bucket] = Date.now();
    this.texts[bucket] = undefined;
  }

  /** Bucket `bucket`'s exemplar as OpenMetrics writes it after the sample value, if it has one. */
  text(bucket: number): string | undefined {
    let text = this.texts[bucket];
    const traceId = this.traceIds[bucket];
    if (text === undefined && traceId !== undefined) {
      const seconds = (this.times[bucket] as number) / 1000;
      text = `# {trace_id="${traceId}",span_id="${this.spanIds[bucket]}"} ${this.values[bucket]} ${seconds}`;
      this.texts[bucket] = text;
    }
    return text;
  }
}

/** What a series offers to hold exemplars. */
export interface ExemplarHolder {
  exemplars: Exemplars | undefined;
}

/** The ids of the active span if it is sampled. */
export type SampledSpan = () => Api.SpanContext | undefined;

/**
 * Reads the active span through the CommonJS @opentelemetry/api that telemetry uses, loaded
 * when tracing turns exemplars on (never at startup, never with tracing off).
 */
export function sampledSpanReader(): SampledSpan {
  const { context, trace, TraceFlags } = load('@opentelemetry/api') as typeof Api;
  return () => {
    const ids = trace.getSpan(context.active())?.spanContext();
    return ids !== undefined && (ids.traceFlags & TraceFlags.SAMPLED) !== 0 ? ids : undefined;
  };
}

/** Keeps observation `value` in `bucket` as the exemplar if a sampled span is active. */
export function recordExemplar(sampledSpan: SampledSpan, holder: ExemplarHolder, buckets: number, bucket: number, value: number): void {
  const ids = sampledSpan();
  if (ids === undefined) return;
  (holder.exemplars ??= new Exemplars(buckets)).record(bucket, value, ids.traceId, ids.spanId);
}

/** The exemplars riding beside OTel's fields: on a histogram point's value, on a counter's point (the facade's points only). */
export function exemplarsOf(carrier: object): Exemplars | undefined {
  return (carrier as { exemplars?: Exemplars }).exemplars;
}
