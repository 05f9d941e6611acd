// Decides where spans go, from the environment alone (no packages loaded here, so the
// decision is cheap and testable). Spans are exported only when someone consumes them:
// an OTLP endpoint or OTEL_TRACES_EXPORTER=otlp, or Sentry's OTLP endpoint. NodeSDK's
// own default (OTLP to localhost:4318 when nothing is set) is deliberately not copied:
// with no collector it retried for seconds at exit.

import { readKeyValues, readList, readPositiveNumber, readString, type Env, type Warn } from './env.ts';

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
const PROTOCOLS: readonly string[] = ['http/json', 'http/protobuf', 'grpc'];

export function planExport(env: Env, sentryOtlp: { url: string; headers: Record<string, string> } | undefined, warn: Warn): ExportPlan {
  const targets: ExportPlan['targets'] = [];
  const timeoutMillis = readPositiveNumber(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
    readPositiveNumber(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', DEFAULT_OTLP_TIMEOUT_MS, warn), warn);

  for (const name of chooseExporters(env, warn)) {
    if (name === 'console') {
      targets.push({ kind: 'console' });
      continue;
    }
    const url = readUrl(env, warn);
    if (url === null) continue;
    targets.push({
      kind: 'otlp',
      protocol: readProtocol(env, warn),
      url,
      headers: {
        ...readKeyValues(env, 'OTEL_EXPORTER_OTLP_HEADERS', warn, { secret: true }),
        ...readKeyValues(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', warn, { secret: true }),
      },
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
      // Bounded by the exporter's own timeout: a flush never waits on an export that gave up.
      exportTimeoutMillis: readPositiveNumber(env, 'OTEL_BSP_EXPORT_TIMEOUT', timeoutMillis, warn),
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
    if (names.length > 1) warn(`OTEL_TRACES_EXPORTER=${names.join(',')} contains 'none'; exporting no traces`);
    return [];
  }
  const chosen = new Set<'otlp' | 'console'>();
  const unknown: string[] = [];
  for (const name of names) {
    if (name === 'otlp' || name === 'console') chosen.add(name);
    else unknown.push(name);
  }
  if (unknown.length > 0) warn(`OTEL_TRACES_EXPORTER: unsupported exporter(s) ${unknown.join(', ')} ignored; supported: otlp, console, none`);
  return [...chosen];
}

function readProtocol(env: Env, warn: Warn): OtlpProtocol {
  const name = readString(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const value = readString(env, name);
  if (value === undefined) return 'http/protobuf';
  if (PROTOCOLS.includes(value)) return value as OtlpProtocol;
  warn(`${name}=${JSON.stringify(value)} is not one of ${PROTOCOLS.join(', ')}; using http/protobuf`);
  return 'http/protobuf';
}

/**
 * The signal-specific endpoint is used as is; the general one gets /v1/traces appended (spec).
 * undefined: none set (the exporter's default); null: set but not an http(s) URL (warned).
 */
function readUrl(env: Env, warn: Warn): string | undefined | null {
  const specific = readString(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const general = readString(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const name = specific !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const value = specific ?? general;
  if (value === undefined) return undefined;
  if (!/^https?:\/\/[^/]/.test(value) || !URL.canParse(value)) {
    warn(`${name}=${JSON.stringify(value)} is not an http(s) URL; traces are not exported over OTLP`);
    return null;
  }
  if (specific !== undefined) return specific;
  return `${value.endsWith('/') ? value : `${value}/`}v1/traces`;
}
