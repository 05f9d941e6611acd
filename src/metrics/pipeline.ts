// startMetrics: turns the facade on and builds the OTel side around it.
//
//   facade series --(MetricProducer, at collect time)--> PrometheusExporter (a MetricReader,
//   server not started) <-- MeterProvider (global: users' and instrumentations' OTel meters)
//   exporter.collect() -> exposition.ts -> respond.ts on the caller's own /metrics route.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { warnOnce } from '../log.ts';
import { type HealthResultLike, recordHealthMetrics } from './health.ts';
import { recordHttpServerMetrics } from './http-server.ts';
import { createOTelBridge } from './otel-bridge.ts';
import { metricsRegistry } from './registry.ts';
import { sendText } from '../http/respond.ts';
import { sendExposition } from './respond.ts';
import { recordRuntimeMetrics } from './runtime.ts';
import { MetricsError } from './validate.ts';

export interface MetricsOptions {
  /** Series per metric before new label sets go to the overflow series (facade and OTel instruments). */
  cardinalityLimit: number;
  /** Latest health results; read at scrape, never runs a check. */
  healthResults: () => readonly HealthResultLike[];
  /** Requests to servers for which this is true are left out of the HTTP request metrics. */
  isOwnServer: (server: unknown) => boolean;
}

export interface MetricsPipeline {
  /** Serves GET/HEAD /metrics; the caller has already matched path and method. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Stops collectors, unregisters the global meter provider, facade back to no-op. */
  shutdown(): Promise<void>;
}

let running = false;

export function startMetrics(options: MetricsOptions): MetricsPipeline {
  if (running) throw new MetricsError('metrics are already started; shut the running pipeline down first');
  const registry = metricsRegistry;
  registry.cardinalityLimit = options.cardinalityLimit;
  running = true;
  registry.enable(); // counters and histograms count from here, the collectors' included

  const bridge = createOTelBridge(registry, options.cardinalityLimit);
  const ownsGlobal = metrics.setGlobalMeterProvider(bridge.provider);
  if (!ownsGlobal) {
    warnOnce('another OpenTelemetry meter provider is already registered; metrics of OTel meters obtained through it are not served on /metrics');
  }

  const stops = [
    guard('HTTP request metrics', () => recordHttpServerMetrics(registry, options.isOwnServer)),
    guard('runtime metrics', () => recordRuntimeMetrics(registry)),
    guard('health metrics', () => recordHealthMetrics(registry, options.healthResults)),
  ];
  let stopped = false;

  return {
    // Never rejects: the caller's server gets an answer (or a destroyed socket), not an exception.
    async handle(req, res) {
      if (stopped) return sendText(req, res, 404, 'metrics are disabled');
      try {
        await sendExposition(req, res, await bridge.render());
      } catch (err) {
        if (res.headersSent) res.destroy();
        else sendText(req, res, 500, `metrics collection failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    async shutdown() {
      if (stopped) return;
      stopped = true;
      for (const stop of stops) stop();
      registry.disable();
      if (ownsGlobal) metrics.disable();
      running = false;
      await bridge.shutdown();
    },
  };
}

/** A collector that cannot start (e.g. its metric name was declared by the app with another shape) is skipped, not fatal. */
function guard(what: string, start: () => () => void): () => void {
  try {
    return start();
  } catch (err) {
    warnOnce(`${what} are off: ${err instanceof Error ? err.message : String(err)}`);
    return () => {};
  }
}
