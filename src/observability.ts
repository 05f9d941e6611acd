// initObservability / shutdownObservability: owns the lifecycle and wires the parts.
// Both are idempotent and never throw: observability must not take the app down.

import type { AddressInfo } from 'node:net';
import { closeAppServers, watchAppServers } from './app-servers.ts';
import { resolveConfig, type Config, type ObservabilityOptions } from './config.ts';
import { sleep, withDeadline } from './deadline.ts';
import { setAuthToken, setMetricsHandler, setToolLinks } from './endpoint-context.ts';
import { healthRegistry } from './health/registry.ts';
import { setLifecycleState } from './health/lifecycle.ts';
import { createEndpointHandler } from './http/endpoints.ts';
import { startMetrics, type MetricsPipeline } from './metrics/index.ts';
import { sentry } from './sentry/facade.ts';
import { startTelemetry, type Telemetry } from './telemetry.ts';
import { describeProbeAdvice } from './probe-advice.ts';
import { startObservabilityServer, type ObservabilityServer } from './server.ts';
import { info, warnOnce } from './log.ts';

export interface ObservabilityStarted {
  /** Where the built-in server listens; undefined when it is off or could not bind. */
  server: AddressInfo | undefined;
  config: Readonly<Config>;
}

interface Running {
  config: Config;
  started: Promise<ObservabilityStarted>;
  server?: ObservabilityServer;
  metrics?: MetricsPipeline;
  stopWatchingServers: () => void;
}

let running: Running | undefined;
let stopping: Promise<void> | undefined;
// OpenTelemetry's globals and module hooks are process-wide and can't be restarted once
// shut down: telemetry starts with the first initObservability() of the process only.
let telemetry: Telemetry | undefined;

/**
 * Starts the framework: health endpoints, and the parts the options enable. Safe to call
 * again: later calls return the first call's result (options they pass are ignored, with
 * a warning, since the preload may already have started everything from the environment).
 */
export function initObservability(options: ObservabilityOptions = {}): Promise<ObservabilityStarted> {
  if (running) {
    if (Object.keys(options).length > 0) {
      warnOnce('initObservability() was called again while already initialised (by the preload or an earlier '
        + 'call); the new options are ignored. Configure the preload through environment variables instead.');
    }
    return running.started;
  }
  const { config, warnings } = resolveConfig(options);
  for (const warning of warnings) warnOnce(warning);
  setLifecycleState('starting');
  healthRegistry.configure({ defaultTimeoutMs: config.healthCheckTimeoutMs, cacheTtlMs: config.healthCacheTtlMs });
  setToolLinks(config.tools);
  setAuthToken(config.authToken);
  // Before anything else starts, so a crash during startup is captured too.
  sentry.init({ dsn: config.sentryDsn, environment: config.environment, release: config.release });
  const current: Running = { config, started: Promise.resolve(undefined as never), stopWatchingServers: watchAppServers() };
  // Before telemetry: instrumentations take the global meter provider when they are registered.
  if (config.enableMetrics) current.metrics = startMetricsSafely(current);
  setMetricsHandler(current.metrics);
  telemetry ??= startTelemetry({
    serviceName: config.serviceName,
    environment: config.environment,
    release: config.release,
    env: config.env,
    sentryOtlp: sentry.otlpEndpoint(),
    warn: (message) => warnOnce(message),
    // Read lazily: the server starts listening after the instrumentations are in place.
    isOwnRequest: (req) => current.server?.isOwnRequest(req) ?? false,
  });
  current.started = start(current);
  running = current;
  return current.started;
}

function startMetricsSafely(current: Running): MetricsPipeline | undefined {
  try {
    return startMetrics({
      cardinalityLimit: current.config.metricsCardinalityLimit,
      // Scrapes read the latest results; they never run a check.
      healthResults: () => healthRegistry.latestResults()
        .map((result) => ({ ...result, critical: healthRegistry.isCritical(result.name) })),
      // Read lazily: the server starts listening after the pipeline exists.
      isOwnServer: (server) => current.server?.isOwnServer(server) ?? false,
    });
  } catch (error) {
    warnOnce(`metrics are off: they failed to start (${(error as Error).message})`);
    return undefined;
  }
}

async function start(current: Running): Promise<ObservabilityStarted> {
  const { config } = current;
  if (config.startServer) {
    current.server = await startObservabilityServer({
      port: config.port,
      host: config.host,
      handler: createEndpointHandler(),
    });
  }
  if (current.server) {
    const { address, port } = current.server.address;
    const host = address.includes(':') ? `[${address}]` : address;
    info(`serving /health, /health/live, /health/ready, /health/tools and /metrics on http://${host}:${port}`);
    if (config.env.KUBERNETES_SERVICE_HOST) info(describeProbeAdvice(config));
  }
  // A shutdown that began while starting wins: stay draining.
  if (running === current && !stopping) setLifecycleState('serving');
  return { server: current.server?.address, config };
}

/** Flushes what was captured and stops every part, within the configured grace period. Idempotent. */
export function shutdownObservability(): Promise<void> {
  stopping ??= stop().finally(() => {
    stopping = undefined;
  });
  return stopping;
}

async function stop(): Promise<void> {
  const current = running;
  if (!current) return;
  setLifecycleState('draining');
  await current.started;
  const graceMs = current.config.shutdownGraceMs;
  const closing = Promise.allSettled([
    current.server?.close(Math.min(graceMs, 1_000)),
    current.metrics?.shutdown(),
    telemetry?.shutdown(),
    sentry.close(graceMs),
  ]).then(() => true);
  const finished = await withDeadline(closing, graceMs, () => false);
  if (!finished) warnOnce(`shutdown did not finish within ${graceMs} ms (OBSERVABILITY_SHUTDOWN_GRACE_MS); giving up on the rest`);
  setToolLinks({ flower: null, grafana: null, prometheus: null });
  setMetricsHandler(undefined);
  setAuthToken(undefined);
  current.stopWatchingServers();
  running = undefined;
}

/**
 * What SIGTERM/SIGINT start: readiness turns 503 at once while liveness stays 200, the
 * app keeps serving for the drain delay (so load balancers stop sending first), then
 * everything is flushed and closed. When the SDK is the one ending the process
 * (`exiting`: the app has no handler of its own), the app's HTTP servers are closed
 * before the flush, so nothing served after it goes unrecorded.
 */
export async function drainAndShutdown(_signal?: NodeJS.Signals, exiting = false): Promise<void> {
  const current = running;
  const drainDelayMs = current?.config.drainDelayMs ?? 0;
  setLifecycleState('draining');
  if (drainDelayMs > 0) await sleep(drainDelayMs);
  if (exiting && current) {
    await closeAppServers((server) => current.server?.isOwnServer(server) ?? false, current.config.shutdownGraceMs / 2);
  }
  await shutdownObservability();
}
