// Turns an ExportPlan into span processors, loading only the exporter packages the plan
// names (the gRPC and protobuf exporters are heavy and most apps need neither), and those
// only when the first batch is exported.

import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { ExportPlan, OtlpTarget } from './export-plan.ts';
import { load } from './load.ts';
import { LazySpanExporter } from './lazy-exporter.ts';
import { createIsolatedJsonExporter } from './isolated-exporter.ts';
import type { Warn } from './env.ts';

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
      warn(`OTLP protocol ${target.protocol} needs ${PACKAGES[target.protocol]}, which is not installed; spans are not exported there`);
      continue;
    }
    const exporter = new LazySpanExporter(() => createOtlpExporter(target, warn), (error) => warn(
      `exporting spans to ${target.url ?? `the default ${target.protocol} endpoint`} failed` +
      `${error ? ` (${error.message})` : ''}; those spans are dropped, later batches are still tried`));
    // 3.x takes one options object; the 2.x positional form constructs but fails at export.
    processors.push(new BatchSpanProcessor({ exporter, ...plan.batch }));
  }
  return processors;
}

/** Resolving finds the package without loading it (the point of exporting lazily). */
function isInstalled(pkg: string): boolean {
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
      warn(`the OTLP exporter for ${target.url} could not be created (${(error as Error).message}); spans are not exported there`);
      return undefined;
    }
  }
  let OTLPTraceExporter: OtlpExporterConstructor;
  try {
    ({ OTLPTraceExporter } = load(PACKAGES[target.protocol]) as { OTLPTraceExporter: OtlpExporterConstructor });
  } catch (error) {
    warn(`${PACKAGES[target.protocol]} failed to load (${(error as Error).message}); spans are not exported there`);
    return undefined;
  }
  try {
    return new OTLPTraceExporter({
      ...(target.url === undefined ? {} : { url: target.url }),
      headers: target.headers,
      timeoutMillis: target.timeoutMillis,
    });
  } catch (error) {
    warn(`the OTLP exporter for ${target.url ?? 'the default endpoint'} could not be created (${(error as Error).message}); spans are not exported there`);
    return undefined;
  }
}
