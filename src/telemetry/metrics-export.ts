// Where metrics go: OTEL_METRICS_EXPORTER chooses between /metrics (the 'prometheus'
// exporter, the default) and OTLP push to a collector, and the OTLP push reader itself.
//
// What is pushed is what /metrics serves: the facade's series by their exact names (the
// producer the metrics pipeline hands over, aggregated across processes), OTel meters and
// the one resource of the MeterProvider. The reader is built only when push is configured,
// and its exporter is loaded only at the first push (startup time matters; most apps never push).

import type { MetricProducer, MetricReader, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { readList, readPositiveNumber, readString, type Env, type Warn } from './env.ts';
import { boundRequestsTo } from './export-deadline.ts';
import { isInstalled, readOtlpHeaders, readOtlpProtocol, readOtlpTimeout, readOtlpUrl, type OtlpProtocol } from './export.ts';
import { installHint } from '../optional.ts';
import { load } from './load.ts';
import { createPushTransport } from './push-transport.ts';

export interface MetricsPushTarget {
  protocol: OtlpProtocol;
  /** undefined: the OTLP default for the protocol (localhost). */
  url: string | undefined;
  headers: Record<string, string>;
  /** Each export request, retries included (OTEL_EXPORTER_OTLP_[METRICS_]TIMEOUT). */
  timeoutMillis: number;
  /** OTEL_METRIC_EXPORT_INTERVAL. */
  intervalMillis: number;
}

export interface MetricsExportPlan {
  /** /metrics is served (with ENABLE_METRICS): 'prometheus' is among the exporters. */
  scrape: boolean;
  /** OTLP push, when 'otlp' is among the exporters and its endpoint is usable. */
  push: MetricsPushTarget | undefined;
}

const EXPORTERS = ['otlp', 'prometheus', 'none'] as const;
type ExporterName = typeof EXPORTERS[number];
/** The OTel spec's default push interval. */
export const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;
const DEFAULT_HTTP_METRICS_URL = 'http://localhost:4318/v1/metrics';
const GRPC_PACKAGE = '@opentelemetry/exporter-metrics-otlp-grpc';

export function planMetricsExport(env: Env, warn: Warn): MetricsExportPlan {
  const names = chooseExporters(env, warn);
  const plan: MetricsExportPlan = { scrape: names.includes('prometheus'), push: undefined };
  if (!names.includes('otlp')) return plan;
  const url = readOtlpUrl(env, 'METRICS', warn);
  if (url === null) return plan;
  // Cumulative only: what /metrics serves, and what survives a lost push.
  const temporality = readString(env, 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE');
  if (temporality !== undefined && temporality.toLowerCase() !== 'cumulative') {
    warn('OBS_OTEL_ENV', `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=${JSON.stringify(temporality)} is not supported; pushing cumulative`);
  }
  plan.push = {
    protocol: readOtlpProtocol(env, 'METRICS', warn),
    url,
    headers: readOtlpHeaders(env, 'METRICS', warn),
    timeoutMillis: readOtlpTimeout(env, 'METRICS', warn),
    intervalMillis: readPositiveNumber(env, 'OTEL_METRIC_EXPORT_INTERVAL', DEFAULT_METRIC_EXPORT_INTERVAL_MS, warn),
  };
  return plan;
}

/** Unset: 'prometheus' (today's /metrics). Unknown names are dropped with one warning naming them and what is used instead. */
function chooseExporters(env: Env, warn: Warn): ExporterName[] {
  const names = readList(env, 'OTEL_METRICS_EXPORTER');
  if (names === undefined) return ['prometheus'];
  const known = names.filter((name): name is ExporterName => (EXPORTERS as readonly string[]).includes(name));
  const unknown = names.filter((name) => !(EXPORTERS as readonly string[]).includes(name));
  const chosen: ExporterName[] = known.length > 0 ? [...new Set(known)] : ['prometheus'];
  if (unknown.length > 0) {
    warn('OBS_OTEL_ENV', `OTEL_METRICS_EXPORTER: unsupported exporter(s) ${unknown.join(', ')} ignored; using ${chosen.join(',')}`
      + `${known.length > 0 ? '' : ' (the default)'}; supported: ${EXPORTERS.join(', ')}`);
  }
  if (chosen.includes('none')) {
    if (chosen.length > 1) warn('OBS_OTEL_ENV', `OTEL_METRICS_EXPORTER=${names.join(',')} contains 'none'; metrics are neither served nor pushed`);
    return [];
  }
  return chosen;
}

export interface PushOptions {
  /** The facade's data as /metrics serves it. */
  facade: MetricProducer;
  /**
   * Whether this process pushes now: the one that serves the aggregate (docs/processes.md).
   * Asked at every push, so an elected PM2 worker starts pushing when it wins.
   */
  pushes: () => boolean;
  warn: Warn;
}

/** A periodic reader for the MeterProvider, or undefined (warned) when the protocol's package is missing. */
export function createMetricsPushReader(target: MetricsPushTarget, options: PushOptions): MetricReader | undefined {
  if (target.protocol === 'grpc' && !isInstalled(GRPC_PACKAGE)) {
    options.warn('OBS_PACKAGE_MISSING', `OTLP protocol grpc for metrics needs ${GRPC_PACKAGE}, which is not installed; metrics are not pushed (${installHint(GRPC_PACKAGE)})`);
    return undefined;
  }
  const { PeriodicExportingMetricReader } = load('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const where = target.url ?? `the default ${target.protocol} endpoint`;
  const exporter = new GatedMetricExporter(target, options.pushes, (error) => options.warn('OBS_METRICS_EXPORT_FAILED',
    `pushing metrics to ${where} failed${error ? ` (${error.message})` : ''}; later pushes are still tried (cumulative: nothing counted is lost)`));
  /** Periodic pushes never keep the process alive (push-transport.ts); the last one, at shutdown or on a flush, does until delivered. */
  class PushReader extends PeriodicExportingMetricReader {
    protected override async onForceFlush(): Promise<void> {
      exporter.final = true;
      try {
        await super.onForceFlush();
      } finally {
        exporter.final = false;
      }
    }

    protected override onShutdown(): Promise<void> {
      exporter.final = true;
      return super.onShutdown();
    }
  }
  return new PushReader({
    exporter,
    exportIntervalMillis: target.intervalMillis,
    // The exporter's own timeout ends each push and says why; the reader's is the backstop.
    exportTimeoutMillis: Math.min(target.timeoutMillis + EXPORTER_ANSWERS_FIRST_MS, target.intervalMillis),
    metricProducers: [gated(options.facade, options.pushes)],
  });
}

const EXPORTER_ANSWERS_FIRST_MS = 500;

/** A process that does not push does not pay for aggregating (a round trip to its peers). */
function gated(producer: MetricProducer, pushes: () => boolean): MetricProducer {
  return {
    collect: (options) => (pushes() ? producer.collect(options)
      : Promise.resolve({ resourceMetrics: { resource: undefined as never, scopeMetrics: [] }, errors: [] })),
  };
}

type ExportResult = Parameters<PushMetricExporter['export']>[1] extends (result: infer R) => void ? R : never;

/**
 * Loads and builds the OTLP exporter at the first push from a process that pushes; warns
 * about the first failure only; bounds every HTTP request by the export timeout
 * (export-deadline.ts: a collector that accepts and never answers must not hold the exit).
 */
class GatedMetricExporter implements PushMetricExporter {
  #target: MetricsPushTarget;
  #pushes: () => boolean;
  #onFirstFailure: (error: Error | undefined) => void;
  #exporter: PushMetricExporter | undefined;
  #release: (() => void) | undefined;
  #failed = false;
  #reported = false;
  /** The push under way is the last one (shutdown) or was asked for (forceFlush): it may hold the process. */
  final = false;

  constructor(target: MetricsPushTarget, pushes: () => boolean, onFirstFailure: (error: Error | undefined) => void) {
    this.#target = target;
    this.#pushes = pushes;
    this.#onFirstFailure = onFirstFailure;
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    if (!this.#pushes()) return resultCallback({ code: 0 });
    const exporter = this.#get();
    if (!exporter) return resultCallback({ code: 1, error: new Error('metric exporter unavailable') });
    exporter.export(metrics, (result) => {
      if (result.code !== 0 && !this.#reported) {
        this.#reported = true;
        this.#onFirstFailure(result.error);
      }
      resultCallback(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.#exporter?.forceFlush() ?? Promise.resolve();
  }

  async shutdown(): Promise<void> {
    // Released only after the exporter has waited for its requests: the last ones stay bounded.
    try {
      await this.#exporter?.shutdown();
    } finally {
      this.#release?.();
    }
  }

  #get(): PushMetricExporter | undefined {
    if (this.#exporter || this.#failed) return this.#exporter;
    try {
      this.#exporter = createOtlpMetricExporter(this.#target, () => this.final);
      if (this.#target.protocol !== 'grpc') this.#release = boundRequestsTo(this.#target.url ?? DEFAULT_HTTP_METRICS_URL, this.#target.timeoutMillis);
    } catch (error) {
      this.#failed = true;
      this.#reported = true;
      this.#onFirstFailure(new Error(`the OTLP metric exporter could not be created: ${(error as Error).message}`));
    }
    return this.#exporter;
  }
}

type ExporterBase = typeof import('@opentelemetry/otlp-exporter-base');
type NodeHttp = typeof import('@opentelemetry/otlp-exporter-base/node-http');
type Transformer = typeof import('@opentelemetry/otlp-transformer');
type GrpcExporter = new (config: { url?: string; timeoutMillis?: number }) => PushMetricExporter;

// What the stock OTLP metric exporter passes for its self-observability metrics; with no meter provider given they are off.
const COMPONENT_TYPE = 'otlp_http_metric_exporter';
const CONCURRENCY_LIMIT = 30;

/**
 * HTTP: the stock exporter's parts (export delegate, serializers), which this package
 * already depends on for traces, around a transport of its own (push-transport.ts), so
 * http/json and http/protobuf need no package more. Settings are the plan's, read from
 * OTEL_* above. gRPC: the stock exporter, an optional peer; it reads its own headers from
 * the environment.
 */
function createOtlpMetricExporter(target: MetricsPushTarget, holdsProcess: () => boolean): PushMetricExporter {
  if (target.protocol === 'grpc') {
    const { OTLPMetricExporter } = load(GRPC_PACKAGE) as { OTLPMetricExporter: GrpcExporter };
    return new OTLPMetricExporter({ ...(target.url === undefined ? {} : { url: target.url }), timeoutMillis: target.timeoutMillis });
  }
  const { OTLPExporterBase, createOtlpNetworkExportDelegate } = load('@opentelemetry/otlp-exporter-base') as ExporterBase;
  const { createOtlpHttpExporterMetrics } = load('@opentelemetry/otlp-exporter-base/node-http') as NodeHttp;
  const { JsonMetricsSerializer, ProtobufMetricsSerializer, MetricsExporterMetricsHelper } = load('@opentelemetry/otlp-transformer') as Transformer;
  const json = target.protocol === 'http/json';
  const url = target.url ?? DEFAULT_HTTP_METRICS_URL;
  const transport = createPushTransport({
    url,
    headers: { ...target.headers, 'Content-Type': json ? 'application/json' : 'application/x-protobuf', 'User-Agent': USER_AGENT },
    holdsProcess,
  });
  const delegate = createOtlpNetworkExportDelegate(
    { timeoutMillis: target.timeoutMillis, concurrencyLimit: CONCURRENCY_LIMIT, compression: 'none' },
    json ? JsonMetricsSerializer : ProtobufMetricsSerializer,
    createOtlpHttpExporterMetrics(COMPONENT_TYPE as never, MetricsExporterMetricsHelper as never, url, undefined),
    transport,
  );
  // No selectAggregationTemporality: the reader's default, cumulative, as /metrics serves.
  return new OTLPExporterBase(delegate) as unknown as PushMetricExporter;
}

const USER_AGENT = 'wizamart-observability (OTLP metrics push)';
