// An OTLP/HTTP JSON span exporter configured only by what it is given. The stock
// OTLPTraceExporter merges OTEL_EXPORTER_OTLP_* from the environment (headers,
// certificates, compression) into every instance; for a second destination such as
// Sentry that would leak the collector's credentials. This assembles the same parts
// OTLPTraceExporter uses (export delegate, JSON serializer) without that merge.

import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { load } from './load.ts';

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
