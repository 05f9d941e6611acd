// initObservability / shutdownObservability: build the one running instance
// (src/running.ts), start the parts with it, and take it apart again. Both are idempotent
// and never throw: observability must not take the app down.
//
// The state of a running SDK lives in that instance. The only other state here is what is
// process-wide by nature: OpenTelemetry's globals and module hooks can't be restarted once
// shut down, so telemetry starts with the first initObservability() of the process only.

import { resolveConfig, type ObservabilityOptions } from './config.ts';
import { sleep, withDeadline } from './deadline.ts';
import { createEventLoopCheck, EVENT_LOOP_CHECK_NAME, type EventLoopCheck } from './health/event-loop.ts';
import { healthRegistry } from './health/registry.ts';
import { createEndpointHandler } from './http/endpoints.ts';
import { metricsRegistry, startMetrics, type MetricsPipeline } from './metrics/index.ts';
import { describeProbeAdvice } from './probe-advice.ts';
import { detectRole } from './processes/role.ts';
import { startTopology } from './processes/topology.ts';
import { createRunning, idleView, type ObservabilityStarted, type Running } from './running.ts';
import { sentry } from './sentry/facade.ts';
import { startObservabilityServer } from './server.ts';
import { startTelemetry, type Telemetry } from './telemetry/index.ts';
import { createMetricsPushReader, planMetricsExport, type MetricsExportPlan } from './telemetry/metrics-export.ts';
import { info, warn } from './warnings.ts';

export type { ObservabilityStarted };

let running: Running | undefined;
/** How long a cluster worker's last report to its primary may take at shutdown. */
const FAREWELL_MS = 1_000;
let telemetry: Telemetry | undefined;

/**
 * Serves /health, /health/live, /health/ready, /health/startup, /health/tools and /metrics on the app's
 * own server: `app.use(healthRouter)` (express, connect) or call it from a node:http handler.
 * It answers for the running SDK, or from the health registry alone when none runs.
 */
export const healthRouter = createEndpointHandler(() => running ?? idleView());

/**
 * Starts the framework: health endpoints, and the parts the options enable. Safe to call
 * again: later calls return the first call's result (options they pass are ignored, with
 * a warning, since the preload may already have started everything from the environment).
 */
export function initObservability(options: ObservabilityOptions = {}): Promise<ObservabilityStarted> {
  if (running) {
    if (Object.keys(options).length > 0) {
      warn('OBS_INIT_AGAIN', 'initObservability() was called again while already initialised (by the preload or an earlier '
        + 'call); the new options are ignored. Configure the preload through environment variables instead.');
    }
    return running.started;
  }
  const { config, warnings } = resolveConfig(options);
  for (const warning of warnings) warn('OBS_CONFIG_VALUE', warning);
  const current = createRunning(config);
  running = current;
  healthRegistry.configure({ defaultTimeoutMs: config.healthCheckTimeoutMs, cacheTtlMs: config.healthCacheTtlMs });
  current.eventLoop = registerEventLoopCheck(config);
  // Before anything else starts, so a crash during startup is captured too.
  // Events captured in a request carry that request (method, URL, route, what the app set for it).
  if (sentry.init({ dsn: config.sentryDsn, environment: config.environment, release: config.release })) {
    current.incoming.add(sentry.requestListener());
  }
  // /metrics (ENABLE_METRICS, and 'prometheus' in OTEL_METRICS_EXPORTER, the default) and OTLP push ('otlp') each turn the facade on.
  const metricsExport = planMetricsExport(config.env, warn);
  const metricsOn = (config.enableMetrics && metricsExport.scrape) || metricsExport.push !== undefined;
  // Who serves the port and who reports to it: cluster workers and worker threads don't listen.
  current.processes = startTopology({
    role: detectRole(),
    metrics: metricsRegistry,
    health: healthRegistry,
    healthCheckTimeoutMs: config.healthCheckTimeoutMs,
    metricsOn,
  });
  // Before telemetry: instrumentations take the global meter provider when they are registered.
  if (metricsOn) current.metrics = startMetricsSafely(current, metricsExport);
  telemetry ??= startTelemetry({ resource: current.resource, env: config.env, sentryOtlp: sentry.otlpEndpoint(), warn });
  if (telemetry.serverSpans) current.incoming.add(telemetry.serverSpans);
  // Exemplars link metrics to traces that exist: only when spans are exported.
  if (telemetry.tracing) current.metrics?.enableExemplars();
  current.started = start(current);
  return current.started;
}

/** The built-in event-loop check, unless turned off or the app registered its own under that name. */
function registerEventLoopCheck(config: Running['config']): EventLoopCheck | undefined {
  if (config.eventLoopDelayThresholdMs === 0 || healthRegistry.has(EVENT_LOOP_CHECK_NAME)) return undefined;
  const liveness = config.eventLoopLivenessMs;
  const eventLoop = createEventLoopCheck({ thresholdMs: config.eventLoopDelayThresholdMs, livenessMs: liveness });
  // Shown in /health, degrading it; it decides liveness only when the user opted in, and
  // never readiness: a busy pod is still better at serving than no pod.
  healthRegistry.register(EVENT_LOOP_CHECK_NAME, eventLoop.check,
    liveness === undefined ? { critical: false, probes: [] } : { critical: true, probes: ['liveness'] });
  return eventLoop;
}

function stopEventLoopCheck(current: Running): void {
  const eventLoop = current.eventLoop;
  if (!eventLoop) return;
  current.eventLoop = undefined;
  eventLoop.stop();
  // Only ours: the app may have replaced it after a clear().
  if (healthRegistry.registered(EVENT_LOOP_CHECK_NAME) === eventLoop.check) healthRegistry.unregister(EVENT_LOOP_CHECK_NAME);
}

function startMetricsSafely(current: Running, plan: MetricsExportPlan): MetricsPipeline | undefined {
  const target = plan.push;
  try {
    return startMetrics({
      cardinalityLimit: current.config.metricsCardinalityLimit,
      // Scrapes read the latest results; they never run a check.
      healthResults: () => healthRegistry.latestResults()
        .map((result) => ({ ...result, critical: healthRegistry.isCritical(result.name) })),
      incoming: current.incoming,
      resource: current.resource(),
      // A thread's process reports the runtime and the health checks; the thread reports to it.
      processCollectors: current.processes?.role.kind !== 'thread',
      aggregate: current.processes?.aggregate,
      scrape: current.config.enableMetrics && plan.scrape,
      // Threads report to their process, which pushes. Of a cluster, the process that serves
      // the aggregate pushes it: the primary, or the elected worker under PM2 (docs/processes.md).
      push: target === undefined || current.processes?.role.kind === 'thread' ? undefined
        : (facade) => createMetricsPushReader(target, {
          facade,
          pushes: () => current.processes?.role.kind === 'main' || current.server !== undefined,
          warn,
        }),
    });
  } catch (error) {
    warn('OBS_METRICS_START_FAILED', `metrics are off: they failed to start (${(error as Error).message})`);
    return undefined;
  }
}

async function start(current: Running): Promise<ObservabilityStarted> {
  const { config } = current;
  if (config.startServer && current.processes?.serves !== false) {
    current.server = await startObservabilityServer({
      port: config.port,
      host: config.host,
      handler: createEndpointHandler(() => current),
    });
    current.incoming.setOwnServer(current.server?.server);
  } else if (config.startServer && current.processes?.elect && await current.processes.standalone) {
    // A cluster worker whose primary does not run the SDK (PM2's daemon): the workers elect who serves.
    await current.processes.elect(() => serveExclusively(current), config.port);
  }
  if (current.server) {
    const { address, port } = current.server.address;
    const host = address.includes(':') ? `[${address}]` : address;
    info(`serving /health, /health/live, /health/ready, /health/startup, /health/tools and /metrics on http://${host}:${port}`);
    if (config.env.KUBERNETES_SERVICE_HOST) info(describeProbeAdvice(config));
  }
  // A shutdown that began while starting wins: stay draining.
  if (current.state === 'starting') current.state = 'serving';
  return { server: current.server?.address, config };
}

/** Binds the port directly, not through the cluster primary; true when this worker now serves it. */
async function serveExclusively(current: Running): Promise<boolean> {
  if (current.stopping) return false;
  const server = await startObservabilityServer({
    port: current.config.port,
    host: current.config.host,
    handler: createEndpointHandler(() => current),
    exclusiveQuiet: true,
  });
  if (!server) return false;
  current.server = server;
  current.incoming.setOwnServer(server.server);
  if (current.state === 'serving') info(`serving the cluster's /health and /metrics on port ${server.address.port}`);
  return true;
}

/** Flushes what was captured and stops every part, within the configured grace period. Idempotent. */
export function shutdownObservability(): Promise<void> {
  const current = running;
  if (!current) return Promise.resolve();
  current.stopping ??= stop(current);
  return current.stopping;
}

async function stop(current: Running): Promise<void> {
  current.state = 'draining';
  await current.started;
  const graceMs = current.config.shutdownGraceMs;
  const closing = Promise.allSettled([
    current.server?.close(Math.min(graceMs, 1_000)),
    current.metrics?.shutdown(),
    telemetry?.shutdown(),
    sentry.close(graceMs),
  ]).then(() => true);
  const finished = await withDeadline(closing, graceMs, () => false);
  if (!finished) warn('OBS_SHUTDOWN_TIMEOUT', `shutdown did not finish within ${graceMs} ms (OBSERVABILITY_SHUTDOWN_GRACE_MS); giving up on the rest`);
  current.incoming.stop();
  stopEventLoopCheck(current);
  // Bounded: a primary that is gone or busy must not hold the exit.
  const farewell = current.processes?.farewell;
  if (farewell) await withDeadline(farewell().then(() => true), FAREWELL_MS, () => false);
  current.processes?.stop();
  if (running === current) running = undefined;
}

/**
 * What SIGTERM/SIGINT start: readiness turns 503 at once while liveness stays 200, and
 * every response on the app's servers says `Connection: close` (keep-alive clients
 * reconnect, to another pod once the endpoints have updated); the app keeps serving for
 * the drain delay, then everything is flushed and closed. When the SDK is the one ending
 * the process (`exiting`: the app has no handler of its own), the app's HTTP servers are
 * closed before the flush (in-flight requests finish), so nothing served after it goes
 * unrecorded.
 */
export async function drainAndShutdown(signal?: NodeJS.Signals, exiting = false): Promise<void> {
  const current = running;
  if (!current) return;
  current.state = 'draining';
  current.incoming.drain();
  const { drainDelayMs, shutdownGraceMs } = current.config;
  // A cluster primary's workers drain alongside it (each as a process of its own would), and it outlives them.
  // SIGINT is not passed on: Ctrl-C already reached the workers, and a second one means "skip the drain".
  const forward = signal === 'SIGINT' ? undefined : signal ?? 'SIGTERM';
  const workers = current.processes?.drainWorkers?.(forward, drainDelayMs + shutdownGraceMs);
  if (drainDelayMs > 0) await sleep(drainDelayMs);
  if (exiting) await current.incoming.closeAppServers(shutdownGraceMs / 2);
  await workers;
  await shutdownObservability();
}
