// Every warning the SDK prints, each with a stable code (fastify's lib/warnings.js
// pattern). The code is printed with the line, so searching for what you saw on stderr
// finds its entry in docs/troubleshooting.md (a test checks every code is documented)
// and the one place below that defines it.
//
// One voice for the SDK on stderr (stdout belongs to the app: a script's output may be
// piped). Observability must never take the app down, so problems are reported once per
// cause and the caller takes a fallback. The memory of what was said is the only
// process-wide state here: "once per process" is what it means.

import { scrubUrls } from './health/scrub.ts';

const PREFIX = '[@wizamart/observability]';

/** Code -> what it is about. The printed message says the cause and the fallback. */
export const WARNING_CODES = {
  OBS_CONFIG_VALUE: 'an option or platform environment variable has a bad value; the fallback is named',
  OBS_OTEL_ENV: 'a standard OTEL_* variable has a bad or unsupported value; the fallback is named',
  OBS_INIT_AGAIN: 'initObservability() called again with options while already running',
  OBS_PORT_BUSY: 'the built-in server could not listen on its port',
  OBS_SERVER_ERROR: 'the built-in server reported an error after it started',
  OBS_ENDPOINT_FAILED: 'an observability endpoint threw while answering',
  OBS_SHUTDOWN_TIMEOUT: 'shutdown did not finish within the grace period',
  OBS_METRICS_START_FAILED: 'the metrics pipeline failed to start; /metrics is off',
  OBS_METRICS_COLLECTOR_OFF: 'a built-in metrics collector could not start (its name is taken)',
  OBS_METER_PROVIDER_TAKEN: 'another OpenTelemetry meter provider is already global',
  OBS_METRIC_HIDDEN: 'an OTel metric prints under a name the facade already declares',
  OBS_METRICS_COLLECT: 'some metrics could not be collected at a scrape',
  OBS_CARDINALITY_LIMIT: 'a metric reached its series cap; new label sets go to the overflow series',
  OBS_CLUSTER_WORKER_SLOW: 'a cluster worker did not send its metrics within the scrape deadline; its last ones are shown',
  OBS_AGGREGATE_MISMATCH: 'a metric has another type or other buckets in one process or thread than in the others',
  OBS_TELEMETRY_START_FAILED: 'OpenTelemetry failed to start; the app runs without tracing',
  OBS_PACKAGE_MISSING: 'a feature needs a package that is not installed; the feature is off',
  OBS_INSTRUMENTATION_FAILED: 'an instrumentation could not be loaded or started',
  OBS_ESM_HOOK: 'the ES module loader hook could not be registered',
  OBS_OTLP_EXPORTER: 'an OTLP span exporter could not be created',
  OBS_SPAN_EXPORT_FAILED: 'exporting spans to a receiver failed',
  OBS_METRICS_EXPORT_FAILED: 'pushing metrics over OTLP to a collector failed',
  OBS_TRACE_FLUSH: 'a trace flush or shutdown failed or timed out',
  OBS_SENTRY_LOAD: '@sentry/node could not be loaded; Sentry is off',
  OBS_SENTRY_DSN: 'the Sentry DSN does not parse; Sentry is off',
  OBS_SENTRY_DELIVERY: 'sending events to Sentry failed',
  OBS_SENTRY_LEVEL: 'sentry.captureMessage got an unknown level',
  OBS_SENTRY_VALUE: 'a Sentry scope call (setUser, setTag, setContext, addBreadcrumb) got a value it cannot send',
} as const;

export type WarningCode = keyof typeof WARNING_CODES;

/** How parts that are handed a warning function (telemetry, tests) report. */
export type Warn = (code: WarningCode, message: string) => void;

const said = new Set<string>();

/** Writes `CODE: message` to stderr once per `onceKey` (default: the code and message). */
export function warn(code: WarningCode, message: string, onceKey: string = `${code} ${message}`): void {
  if (said.has(onceKey)) return;
  said.add(onceKey);
  // Warnings name endpoints (OTLP, Sentry, tool links): a URL's userinfo never reaches the log.
  process.stderr.write(`${PREFIX} ${code}: ${scrubUrls(message)}\n`);
}

/** One informational line, such as where the built-in server listens. Not a warning: no code. */
export function info(message: string): void {
  process.stderr.write(`${PREFIX} ${message}\n`);
}

/** Forgets what was said; tests use it to observe warnings again. */
export function resetWarnings(): void {
  said.clear();
}
