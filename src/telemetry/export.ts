// Where spans go and how they get there: the export plan (from the environment alone),
// the span processors built from it, and the exporters behind them (loaded lazily, and
// isolated from the environment for destinations such as Sentry).

import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { readKeyValues, readList, readPositiveNumber, readString, type Env, type Warn } from './env.ts';
import { boundRequestsTo } from './export-deadline.ts';
import { installHint } from '../optional.ts';
import { load } from './load.ts';

// Span processors — turns an ExportPlan into span processors, loading only the exporter packages the plan
// names (the gRPC and protobuf exporters are heavy and most apps need neither), and those
// only when the first batch is exported.

type SdkTrace = typeof import('@opentelemetry/sdk-trace');
type OtlpExporterConstructor = new (config: { url?: string; headers?: Record<string, string>; timeoutMillis?: number }) => SpanExporter;

const PACKAGES: Record<OtlpTarget['protocol'], string> = {
  'http/json': '@opentelemetry/exporter-trace-otlp-http',
  'http/protobuf': '@opentelemetry/exporter-trace-otlp-proto',
  grpc: '@opentelemetry/exporter-trace-otlp-grpc',
};

export function createSpanProcessors(plan: ExportPlan, warn: Warn): SpanProcessor[] {
  const { BatchSpanProcessor, SimpleSpanProcessor, ConsoleSpanExporter } = load('@opentelemetry/sdk-trace') as SdkTrace;
  const processors: SpanProcessor[] = [];
  for (const target of plan.targets) {
    if (target.kind === 'console') {
      processors.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }));
      continue;
    }
    if (!isInstalled(PACKAGES[target.protocol])) {
      warn('OBS_PACKAGE_MISSING', `OTLP protocol ${target.protocol} needs ${PACKAGES[target.protocol]}, which is not installed; spans are not exported there (${installHint(PACKAGES[target.protocol])})`);
      continue;
    }
    const exporter = new LazySpanExporter(() => withRequestDeadline(createOtlpExporter(target, warn), target), (error) => warn('OBS_SPAN_EXPORT_FAILED', `exporting spans to ${target.url ?? `the default ${target.protocol} endpoint`} failed` +
      `${error ? ` (${error.message})` : ''}; those spans are dropped, later batches are still tried`));
    // 3.x takes one options object; the 2.x positional form constructs but fails at export.
    processors.push(new BatchSpanProcessor({ exporter, ...plan.batch }));
  }
  return processors;
}

/** The OTLP/HTTP exporters' own default when no endpoint is set. */
const DEFAULT_HTTP_TRACES_URL = 'http://localhost:4318/v1/traces';

/**
 * Each HTTP export request ends by the export timeout, however slowly the receiver
 * answers (see export-deadline.ts). gRPC has deadlines of its own.
 */
function withRequestDeadline(exporter: SpanExporter | undefined, target: OtlpTarget): SpanExporter | undefined {
  if (!exporter || target.protocol === 'grpc') return exporter;
  const release = boundRequestsTo(target.url ?? DEFAULT_HTTP_TRACES_URL, target.timeoutMillis);
  return {
    export: (spans, resultCallback) => exporter.export(spans, resultCallback),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    // Released only after the exporter has waited for its requests: the last ones stay bounded.
    shutdown: () => exporter.shutdown().finally(release),
  };
}

/** Resolving finds the package without loading it (the point of exporting lazily). */
export function isInstalled(pkg: string): boolean {
  try {
    load.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

function createOtlpExporter(target: OtlpTarget, warn: Warn): SpanExporter | undefined {
  if (target.isolated && target.url !== undefined) {
    try {
      return createIsolatedJsonExporter({ url: target.url, headers: target.headers, timeoutMillis: target.timeoutMillis });
    } catch (error) {
      warn('OBS_OTLP_EXPORTER', `the OTLP exporter for ${target.url} could not be created (${(error as Error).message}); spans are not exported there`);
      return undefined;
    }
  }
  let OTLPTraceExporter: OtlpExporterConstructor;
  try {
    ({ OTLPTraceExporter } = load(PACKAGES[target.protocol]) as { OTLPTraceExporter: OtlpExporterConstructor });
  } catch (error) {
    warn('OBS_OTLP_EXPORTER', `${PACKAGES[target.protocol]} failed to load (${(error as Error).message}); spans are not exported there`);
    return undefined;
  }
  try {
    return new OTLPTraceExporter({
      ...(target.url === undefined ? {} : { url: target.url }),
      headers: target.headers,
      timeoutMillis: target.timeoutMillis,
    });
  } catch (error) {
    warn('OBS_OTLP_EXPORTER', `the OTLP exporter for ${target.url ?? 'the default endpoint'} could not be created (${(error as Error).message}); spans are not exported there`);
    return undefined;
  }
}

// Export plan — decides where spans go, from the environment alone (no packages loaded here, so the
// decision is cheap and testable). Spans are exported only when someone consumes them:
// an OTLP endpoint or OTEL_TRACES_EXPORTER=otlp, or Sentry's OTLP endpoint. NodeSDK's
// own default (OTLP to localhost:4318 when nothing is set) is deliberately not copied:
// with no collector it retried for seconds at exit.

export type OtlpProtocol = 'http/json' | 'http/protobuf' | 'grpc';

export interface OtlpTarget {
  kind: 'otlp';
  protocol: OtlpProtocol;
  /** undefined: the exporter's own default for the protocol (localhost). */
  url: string | undefined;
  headers: Record<string, string>;
  timeoutMillis: number;
  /**
   * Built from these settings alone. The stock OTLP exporters merge OTEL_EXPORTER_OTLP_*
   * (headers, certificates) from the environment into every instance: a collector's
   * credentials would be sent to Sentry too.
   */
  isolated?: boolean;
}

export interface ExportPlan {
  targets: Array<OtlpTarget | { kind: 'console' }>;
  batch: { scheduledDelayMillis: number; exportTimeoutMillis: number; maxQueueSize: number; maxExportBatchSize: number };
}

/** The OTLP spec default; every export attempt, retries included, ends by then. */
export const DEFAULT_OTLP_TIMEOUT_MS = 10_000;
/** How much longer the batch processor waits than the exporter it calls. */
const EXPORTER_ANSWERS_FIRST_MS = 500;
const PROTOCOLS: readonly string[] = ['http/json', 'http/protobuf', 'grpc'];

export function planExport(env: Env, sentryOtlp: { url: string; headers: Record<string, string> } | undefined, warn: Warn): ExportPlan {
  const targets: ExportPlan['targets'] = [];
  const timeoutMillis = readOtlpTimeout(env, 'TRACES', warn);

  for (const name of chooseExporters(env, warn)) {
    if (name === 'console') {
      targets.push({ kind: 'console' });
      continue;
    }
    const url = readOtlpUrl(env, 'TRACES', warn);
    if (url === null) continue;
    targets.push({
      kind: 'otlp',
      protocol: readOtlpProtocol(env, 'TRACES', warn),
      url,
      headers: readOtlpHeaders(env, 'TRACES', warn),
      timeoutMillis,
    });
  }
  if (sentryOtlp) {
    targets.push({
      kind: 'otlp', protocol: 'http/json', url: sentryOtlp.url, headers: { ...sentryOtlp.headers }, timeoutMillis, isolated: true,
    });
  }
  return {
    targets,
    batch: {
      scheduledDelayMillis: readPositiveNumber(env, 'OTEL_BSP_SCHEDULE_DELAY', 5_000, warn),
      // The exporter's own timeout ends every attempt and says why (one warning naming the
      // receiver); the processor's timer is only the backstop, so it waits a little longer.
      // Equal timers raced: the processor gave up first, shutdown resolved, and the process
      // exited before the exporter could say the spans were dropped.
      exportTimeoutMillis: readPositiveNumber(env, 'OTEL_BSP_EXPORT_TIMEOUT', timeoutMillis + EXPORTER_ANSWERS_FIRST_MS, warn),
      maxQueueSize: readPositiveNumber(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, warn),
      maxExportBatchSize: readPositiveNumber(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, warn),
    },
  };
}

/** 'otlp' / 'console' from OTEL_TRACES_EXPORTER; unset means OTLP only if an endpoint is set. */
function chooseExporters(env: Env, warn: Warn): Array<'otlp' | 'console'> {
  const names = readList(env, 'OTEL_TRACES_EXPORTER');
  if (names === undefined) {
    const endpoint = readString(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? readString(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    return endpoint === undefined ? [] : ['otlp'];
  }
  if (names.includes('none')) {
    if (names.length > 1) warn('OBS_OTEL_ENV', `OTEL_TRACES_EXPORTER=${names.join(',')} contains 'none'; exporting no traces`);
    return [];
  }
  const chosen = new Set<'otlp' | 'console'>();
  const unknown: string[] = [];
  for (const name of names) {
    if (name === 'otlp' || name === 'console') chosen.add(name);
    else unknown.push(name);
  }
  if (unknown.length > 0) warn('OBS_OTEL_ENV', `OTEL_TRACES_EXPORTER: unsupported exporter(s) ${unknown.join(', ')} ignored; supported: otlp, console, none`);
  return [...chosen];
}

/** OTEL_EXPORTER_OTLP_<signal>_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
/** OTEL_EXPORTER_OTLP_HEADERS, overridden entry by entry by OTEL_EXPORTER_OTLP_<signal>_HEADERS (secrets: values never shown). */
export function readOtlpHeaders(env: Env, signal: OtlpSignal, warn: Warn): Record<string, string> {
  return {
    ...readKeyValues(env, 'OTEL_EXPORTER_OTLP_HEADERS', warn, { secret: true }),
    ...readKeyValues(env, `OTEL_EXPORTER_OTLP_${signal}_HEADERS`, warn, { secret: true }),
  };
}

/** OTEL_EXPORTER_OTLP_<signal>_TIMEOUT, else OTEL_EXPORTER_OTLP_TIMEOUT, else the spec's 10 s. */
export function readOtlpTimeout(env: Env, signal: OtlpSignal, warn: Warn): number {
  return readPositiveNumber(env, `OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`,
    readPositiveNumber(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', DEFAULT_OTLP_TIMEOUT_MS, warn), warn);
}

export function readOtlpProtocol(env: Env, signal: OtlpSignal, warn: Warn): OtlpProtocol {
  const name = readString(env, `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`) ? `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL` : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const value = readString(env, name);
  if (value === undefined) return 'http/protobuf';
  if (PROTOCOLS.includes(value)) return value as OtlpProtocol;
  warn('OBS_OTEL_ENV', `${name}=${JSON.stringify(value)} is not one of ${PROTOCOLS.join(', ')}; using http/protobuf`);
  return 'http/protobuf';
}

export type OtlpSignal = 'TRACES' | 'METRICS';

/**
 * The signal-specific endpoint is used as is; the general one gets /v1/traces (or
 * /v1/metrics) appended (spec). undefined: none set (the exporter's default);
 * null: set but not an http(s) URL (warned).
 */
export function readOtlpUrl(env: Env, signal: OtlpSignal, warn: Warn): string | undefined | null {
  const specificName = `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`;
  const specific = readString(env, specificName);
  const general = readString(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const name = specific !== undefined ? specificName : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const value = specific ?? general;
  if (value === undefined) return undefined;
  if (!/^https?:\/\/[^/]/.test(value) || !URL.canParse(value)) {
    warn('OBS_OTEL_ENV', `${name}=${JSON.stringify(value)} is not an http(s) URL; ${signal.toLowerCase()} are not exported over OTLP`);
    return null;
  }
  if (specific !== undefined) return specific;
  return `${value.endsWith('/') ? value : `${value}/`}v1/${signal.toLowerCase()}`;
}

// Lazy exporter — a SpanExporter that loads and constructs the real one on first use. The OTLP exporter
// and its transformer are ~20 ms of module loading; the first export happens seconds after
// start (batch delay) or at shutdown, so that cost moves off the startup path, and a
// process that records no span never pays it.

type ExportResult = Parameters<SpanExporter['export']>[1] extends (result: infer R) => void ? R : never;

export class LazySpanExporter implements SpanExporter {
  #create: () => SpanExporter | undefined;
  #onFirstFailure: (error: Error | undefined) => void;
  #exporter: SpanExporter | undefined;
  #failed = false;
  #reported = false;

  /** `onFirstFailure` is told about the first failed export only: one warning, not one per batch. */
  constructor(create: () => SpanExporter | undefined, onFirstFailure: (error: Error | undefined) => void) {
    this.#create = create;
    this.#onFirstFailure = onFirstFailure;
  }

  #get(): SpanExporter | undefined {
    if (!this.#exporter && !this.#failed) {
      this.#exporter = this.#create();
      this.#failed = this.#exporter === undefined;
    }
    return this.#exporter;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const exporter = this.#get();
    // code 1 = ExportResultCode.FAILED; the reason was already warned by `create`.
    if (!exporter) resultCallback({ code: 1, error: new Error('span exporter unavailable') } as ExportResult);
    else exporter.export(spans, (result) => {
      if (result.code !== 0 && !this.#reported) {
        this.#reported = true;
        this.#onFirstFailure(result.error);
      }
      resultCallback(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.#exporter?.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.#exporter?.shutdown() ?? Promise.resolve();
  }
}

// Isolated exporter — an OTLP/HTTP JSON span exporter configured only by what it is given. The stock
// OTLPTraceExporter merges OTEL_EXPORTER_OTLP_* from the environment (headers,
// certificates, compression) into every instance; for a second destination such as
// Sentry that would leak the collector's credentials. This assembles the same parts
// OTLPTraceExporter uses (export delegate, JSON serializer) without that merge.

export interface IsolatedTarget {
  url: string;
  headers: Record<string, string>;
  timeoutMillis: number;
}

type ExporterBase = typeof import('@opentelemetry/otlp-exporter-base');
type NodeHttp = typeof import('@opentelemetry/otlp-exporter-base/node-http');
type Transformer = typeof import('@opentelemetry/otlp-transformer');

// What OTLPTraceExporter passes for its self-observability metrics; with no meter provider given they are off.
const COMPONENT_TYPE = 'otlp_http_span_exporter';
const CONCURRENCY_LIMIT = 30;

export function createIsolatedJsonExporter({ url, headers, timeoutMillis }: IsolatedTarget): SpanExporter {
  const { OTLPExporterBase } = load('@opentelemetry/otlp-exporter-base') as ExporterBase;
  const { createOtlpHttpExportDelegate, httpAgentFactoryFromOptions } = load('@opentelemetry/otlp-exporter-base/node-http') as NodeHttp;
  const { JsonTraceSerializer, TraceExporterMetricsHelper } = load('@opentelemetry/otlp-transformer') as Transformer;
  const fixed = { ...headers, 'Content-Type': 'application/json' };
  const delegate = createOtlpHttpExportDelegate({
    url,
    headers: async () => fixed,
    timeoutMillis,
    concurrencyLimit: CONCURRENCY_LIMIT,
    compression: 'none',
    agentFactory: httpAgentFactoryFromOptions({ keepAlive: true }),
  } as Parameters<NodeHttp['createOtlpHttpExportDelegate']>[0], JsonTraceSerializer, COMPONENT_TYPE as never, TraceExporterMetricsHelper as never, undefined);
  return new OTLPExporterBase(delegate) as unknown as SpanExporter;
}
