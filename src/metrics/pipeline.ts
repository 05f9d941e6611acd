// startMetrics: turns the facade on and builds the OTel side around it.
//
//   facade series --(MetricProducer, at collect time)--> PrometheusExporter (a MetricReader,
//   server not started) <-- MeterProvider (global: users' and instrumentations' OTel meters)
//   exporter.collect() -> exposition.ts -> respond.ts on the caller's own /metrics route.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as Api from '@opentelemetry/api';
import type { MetricData, MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import type { IncomingHttp } from '../http/incoming.ts';
import { warn } from '../warnings.ts';
import { type HealthResultLike, recordHealthMetrics } from './health.ts';
import { recordHttpServerMetrics } from './http-server.ts';
import type { Aggregation } from './metric.ts';
import { createOTelBridge } from './otel-bridge.ts';
import { load } from '../telemetry/load.ts';
import { metricsRegistry, type MetricsRegistry } from './registry.ts';
import { sendText } from '../http/respond.ts';
import { negotiateFormat, sendExposition } from './respond.ts';
import { recordRuntimeMetrics } from './runtime.ts';

export interface MetricsOptions {
  /** Series per metric before new label sets go to the overflow series (facade and OTel instruments). */
  cardinalityLimit: number;
  /** Latest health results; read at scrape, never runs a check. */
  healthResults: () => readonly HealthResultLike[];
  /** The running SDK's view of incoming HTTP: app requests only, the SDK's own left out. */
  incoming: IncomingHttp;
  /** The service identity, served as target_info. */
  resource: Resource;
  /**
   * Runtime and health collectors (default true). Off in worker threads: their process
   * already reports its runtime, and the thread reports to it (src/processes/threads.ts).
   */
  processCollectors?: boolean;
  /**
   * At each scrape, turns this process's facade data into what /metrics serves: the
   * aggregate over the cluster's workers and the threads (src/processes/). Default: as is.
   */
  aggregate?: (own: MetricData[]) => Promise<MetricData[]>;
  /** Serve /metrics (default true); false: OTEL_METRICS_EXPORTER names push only. */
  scrape?: boolean;
  /** A push reader (OTLP, src/telemetry/metrics-export.ts), given the facade's data as /metrics serves it. */
  push?: (facade: MetricProducer) => MetricReader | undefined;
}

export interface MetricsPipeline {
  /** Serves GET/HEAD /metrics; the caller has already matched path and method. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** The SDK's tracing is on: histograms and counters keep exemplars of sampled spans, served in OpenMetrics. */
  enableExemplars(): void;
  /** Stops collectors, unregisters the global meter provider, facade back to no-op. */
  shutdown(): Promise<void>;
}

/** The running SDK owns the one pipeline: initObservability starts it once per running instance. */
export function startMetrics(options: MetricsOptions): MetricsPipeline {
  const { context, metrics, ROOT_CONTEXT } = load('@opentelemetry/api') as typeof Api;
  const registry = metricsRegistry;
  registry.cardinalityLimit = options.cardinalityLimit;
  registry.enable(); // counters and histograms count from here, the collectors' included

  const bridge = createOTelBridge(registry, options.cardinalityLimit, options.resource, options.aggregate, options.push);
  const ownsGlobal = metrics.setGlobalMeterProvider(bridge.provider);
  if (!ownsGlobal) {
    warn('OBS_METER_PROVIDER_TAKEN', 'another OpenTelemetry meter provider is already registered; metrics of OTel meters obtained through it are not served on /metrics');
  }

  const processCollectors = options.processCollectors ?? true;
  const stops = [
    guard(registry, 'HTTP request metrics', 'sum', () => recordHttpServerMetrics(registry, options.incoming)),
    processCollectors ? guard(registry, 'runtime metrics', 'per-process', () => recordRuntimeMetrics(registry)) : () => {},
    processCollectors ? guard(registry, 'health metrics', 'local', () => recordHealthMetrics(registry, options.healthResults)) : () => {},
  ];
  let stopped = false;

  return {
    // Never rejects: the caller's server gets an answer (or a destroyed socket), not an exception.
    async handle(req, res) {
      if (stopped) return sendText(req, res, 404, 'metrics are disabled');
      if (options.scrape === false) return sendText(req, res, 404, 'metrics are pushed over OTLP only (OTEL_METRICS_EXPORTER has no prometheus)');
      try {
        const format = negotiateFormat(req.headers.accept);
        // Outside any span: scrape-time hooks (CPU counters) must not take the exemplar of a
        // request whose span is never exported (a scrape answered by healthRouter on the app's server).
        await sendExposition(req, res, await context.with(ROOT_CONTEXT, () => bridge.render(format)), format);
      } catch (err) {
        if (res.headersSent) res.destroy();
        else sendText(req, res, 500, `metrics collection failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    enableExemplars() {
      if (!stopped) registry.enableExemplars();
    },
    async shutdown() {
      if (stopped) return;
      stopped = true;
      for (const stop of stops) stop();
      registry.disable();
      if (ownsGlobal) metrics.disable();
      // A push reader's last push (OTLP) happens here: a disabled facade still reports what it counted.
      await bridge.shutdown();
    },
  };
}

/**
 * Starts a built-in collector and marks what it declares as built-in (exempt from the
 * user's cardinality cap). One that cannot start (e.g. its metric name was declared by the
 * app with another shape) is skipped, not fatal.
 */
function guard(registry: MetricsRegistry, what: string, aggregation: Aggregation, start: () => () => void): () => void {
  const before = new Set(registry.names());
  try {
    const stop = start();
    for (const name of registry.names()) {
      if (before.has(name)) continue;
      const metric = registry.get(name)!;
      metric.builtIn = true;
      metric.aggregation = aggregation;
    }
    return stop;
  } catch (err) {
    warn('OBS_METRICS_COLLECTOR_OFF', `${what} are off: ${err instanceof Error ? err.message : String(err)}`);
    return () => {};
  }
}
