// The OpenTelemetry half of the zero-code preload: trace export, context propagation and
// auto-instrumentation for CommonJS and ES module apps. Started once per process (its
// globals and module hooks are process-wide and cannot be restarted), by the first
// initObservability(); the metrics pipeline owns the MeterProvider; no logger provider.
//
// Assembled from the SDK's parts rather than NodeSDK: @opentelemetry/sdk-node imports every
// exporter it might ever use (gRPC, protobuf, Zipkin, Prometheus, logs) at load, ~115 ms of
// startup before any user code; this does what NodeSDK.start() does for traces in ~65 ms
// (docs/performance.md, startup).
//
// Reading order: provider.ts (tracer provider, sampler, propagator, context entry),
// export.ts (where spans go), instrumentations.ts (which libraries are traced, and how),
// module-hooks.ts (when they patch), server-spans.ts (incoming HTTP), catalog.ts, env.ts.

import type * as Api from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { IncomingListener } from '../http/incoming.ts';
import { withDeadline } from '../deadline.ts';
import { readBoolean, readString, type Env, type Warn } from './env.ts';
import { createSpanProcessors, planExport } from './export.ts';
import { EXIT_FLUSH_MS, flushAtExit } from './flush-at-exit.ts';
import { startInstrumentations } from './instrumentations.ts';
import { load } from './load.ts';
import { startTracing } from './provider.ts';

export interface TelemetryOptions {
  /** The service identity every span carries (src/resource.ts). */
  resource: () => Resource;
  /** The standard OTEL_* variables are read from here, never from process.env directly. */
  env: Env;
  /** Sentry's OTLP traces endpoint: spans are exported there too. */
  sentryOtlp?: { url: string; headers: Record<string, string> };
  /** One-line coded warnings to stderr, e.g. bad OTEL_* values. */
  warn: Warn;
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
  /** SERVER spans for incoming HTTP, added to each running instance's incoming-request view. */
  readonly serverSpans: IncomingListener | undefined;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Extra time for shutdown beyond one export attempt, so a last batch can still go out. */
const SHUTDOWN_SLACK_MS = 1_000;

const INACTIVE: Telemetry = { tracing: false, serverSpans: undefined, forceFlush: async () => {}, shutdown: async () => {} };

/** Synchronous: runs in the preload, before the app's modules load. Never throws. */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const { env, warn } = options;
  if (readBoolean(env, 'OTEL_SDK_DISABLED', false, warn)) return INACTIVE;
  try {
    return start(options);
  } catch (error) {
    // Observability never takes the app down.
    warn('OBS_TELEMETRY_START_FAILED', `telemetry failed to start (${(error as Error).message}); the app runs without tracing`);
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

  const deadline = plan.batch.exportTimeoutMillis + SHUTDOWN_SLACK_MS;
  // A failed export rejects flush and shutdown too; the exporter has already warned about it.
  // Only the processor's own backstop (OTEL_BSP_EXPORT_TIMEOUT set below the exporter's
  // timeout) rejects before the exporter has spoken: that one is said here.
  const quiet = (work: Promise<void>): Promise<void> => work.catch((error: unknown) => {
    if (error instanceof Error && error.message === 'Timeout') {
      warn('OBS_TRACE_FLUSH', `span export did not answer within OTEL_BSP_EXPORT_TIMEOUT=${plan.batch.exportTimeoutMillis} ms; those spans are dropped`);
    }
  });
  let stopped: Promise<void> | undefined;
  const flush = async (ms: number): Promise<boolean> => (provider && !stopped ? await bounded(quiet(provider.forceFlush()), ms, 'trace flush', warn) === 'done' : true);
  const forceFlush = async (): Promise<void> => { await flush(deadline); };
  const atExit = tracing ? flushAtExit(() => flush(EXIT_FLUSH_MS), EXIT_FLUSH_MS) : undefined;
  if (atExit) processors.push(atExit.counter);

  // The resource (detectors included) is computed only when spans will carry it.
  const { provider, contextEntry } = startTracing(processors, tracing ? options.resource() : undefined, env, warn);
  const instrumentations = startInstrumentations(env, warn, contextEntry);

  return {
    tracing,
    serverSpans: instrumentations.serverSpans,
    forceFlush,
    shutdown: () => {
      stopped ??= (async () => {
        atExit?.stop();
        instrumentations.stop();
        if (provider) await bounded(quiet(provider.shutdown()), deadline, 'trace shutdown', warn);
      })();
      return stopped;
    },
  };
}

/** A flush or shutdown: bounded, and reported (timed out, or failed) as one warning instead of a rejection. */
async function bounded(work: Promise<unknown>, ms: number, what: string, warn: Warn): Promise<'done' | 'failed' | 'timeout'> {
  const settled = work.then(() => 'done' as const, (error: unknown) => {
    warn('OBS_TRACE_FLUSH', `${what} failed: ${describe(error)}`);
    return 'failed' as const;
  });
  const outcome = await withDeadline(settled, ms, () => 'timeout' as const);
  if (outcome === 'timeout') warn('OBS_TRACE_FLUSH', `${what} did not finish within ${ms} ms; giving up`);
  return outcome;
}

function describe(error: unknown): string {
  if (Array.isArray(error)) return error.map(describe).join('; ');
  return error instanceof Error ? error.message : String(error);
}

const LOG_LEVELS = ['NONE', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'VERBOSE', 'ALL'] as const;

/**
 * OTEL_LOG_LEVEL turns on the SDK's own diagnostics (export errors, patching decisions) on
 * the console, as NodeSDK does; unset, the SDK stays silent and only our warnings appear.
 */
function setupDiagnostics(env: Env, warn: Warn): void {
  const value = readString(env, 'OTEL_LOG_LEVEL')?.toUpperCase();
  if (value === undefined) return;
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    warn('OBS_OTEL_ENV', `OTEL_LOG_LEVEL=${JSON.stringify(env.OTEL_LOG_LEVEL)} is not one of ${LOG_LEVELS.join(', ')}; SDK diagnostics stay off`);
    return;
  }
  const api = load('@opentelemetry/api') as typeof Api;
  api.diag.setLogger(new api.DiagConsoleLogger(), { logLevel: api.DiagLogLevel[value as (typeof LOG_LEVELS)[number]] });
}
