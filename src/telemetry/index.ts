// The OpenTelemetry half of the zero-code preload: resource, trace export, context
// propagation and auto-instrumentation for CommonJS and ES module apps.
//
// Assembled from the SDK's parts rather than NodeSDK: @opentelemetry/sdk-node imports every
// exporter it might ever use (gRPC, protobuf, Zipkin, Prometheus, logs) at load, ~115 ms of
// startup before any user code; this does what NodeSDK.start() does for traces in ~65 ms
// (docs/performance-startup.md).
// The metrics engineer owns the MeterProvider; no logger provider is installed.

import type { IncomingMessage } from 'node:http';
import { readBoolean } from './telemetry/env.ts';
import { resolveServiceName } from './telemetry/service-name.ts';
import { planExport } from './telemetry/export-plan.ts';
import { createSpanProcessors } from './telemetry/span-processors.ts';
import { startTracing } from './telemetry/tracing.ts';
import { startInstrumentations } from './telemetry/instrumentations.ts';
import { withDeadlineWarned } from './telemetry/bounded.ts';
import { setupDiagnostics } from './telemetry/diag.ts';

export interface TelemetryOptions {
  /** Else OTEL_SERVICE_NAME, else the app's package.json name (nearest to cwd), else 'unknown_service:node'. */
  serviceName: string | undefined;
  /** deployment.environment.name */
  environment: string;
  /** service.version */
  release: string | undefined;
  /** The standard OTEL_* variables are read from here, never from process.env directly. */
  env: NodeJS.ProcessEnv;
  /** Sentry's OTLP traces endpoint: spans are exported there too. */
  sentryOtlp?: { url: string; headers: Record<string, string> };
  /** One-line warnings to stderr, e.g. bad OTEL_* values. */
  warn: (message: string) => void;
  /** The SDK's own server; its requests are kept out of traces. */
  isOwnRequest: (req: IncomingMessage) => boolean;
  /**
   * Install instrumentations even when no spans are exported (default false: nothing
   * consumes them, so nothing is paid per request). Set it if something else needs the
   * instrumentations' context, e.g. the route recorded by the express instrumentation.
   */
  instrumentWithoutExport?: boolean;
}

export interface Telemetry {
  /** Whether spans are recorded and exported somewhere. */
  readonly tracing: boolean;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Extra time for shutdown beyond one export attempt, so a last batch can still go out. */
const SHUTDOWN_SLACK_MS = 1_000;

const INACTIVE: Telemetry = { tracing: false, forceFlush: async () => {}, shutdown: async () => {} };

let started = false;

/** Synchronous: runs in the preload, before the app's modules load. Never throws. */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const { env, warn } = options;
  if (readBoolean(env, 'OTEL_SDK_DISABLED', false, warn)) return INACTIVE;
  // OTel's globals and module hooks are process-wide: a second start would only fight the first.
  if (started) {
    warn('telemetry was already started in this process; the second start is ignored');
    return INACTIVE;
  }
  started = true;
  try {
    return start(options);
  } catch (error) {
    // Observability never takes the app down.
    warn(`telemetry failed to start (${(error as Error).message}); the app runs without tracing`);
    return INACTIVE;
  }
}

function start(options: TelemetryOptions): Telemetry {
  const { env, warn } = options;
  setupDiagnostics(env, warn);
  const plan = planExport(env, options.sentryOtlp, warn);
  const processors = plan.targets.length > 0 ? createSpanProcessors(plan, warn) : [];
  const tracing = processors.length > 0;
  if (!tracing && !options.instrumentWithoutExport) return INACTIVE;

  const provider = startTracing(processors, {
    serviceName: resolveServiceName(options.serviceName, env),
    environment: options.environment,
    release: options.release,
    env,
    warn,
  });
  const stopWatching = startInstrumentations({ env, warn, isOwnRequest: options.isOwnRequest });

  const deadline = plan.batch.exportTimeoutMillis + SHUTDOWN_SLACK_MS;
  // A failed export rejects flush and shutdown too; the exporter has already warned about it.
  const quiet = (work: Promise<void>): Promise<void> => work.catch(() => {});
  let stopped: Promise<void> | undefined;
  return {
    tracing,
    forceFlush: () => (provider && !stopped ? withDeadlineWarned(quiet(provider.forceFlush()), deadline, 'trace flush', warn) : Promise.resolve()),
    shutdown: () => {
      stopped ??= (async () => {
        stopWatching();
        if (provider) await withDeadlineWarned(quiet(provider.shutdown()), deadline, 'trace shutdown', warn);
      })();
      return stopped;
    },
  };
}
