// The OTel side of the facade: a MeterProvider whose one reader is the Prometheus
// exporter (its own server never started), with the registry attached as an extra
// MetricProducer. Facade data enters OTel only here, when render() collects.

import type { Resource } from '@opentelemetry/resources';
import type { MeterProvider, MetricData, MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';
import { load } from '../telemetry/load.ts';
import { warn } from '../warnings.ts';
import { serialize } from './exposition.ts';
import { FACADE_SCOPE, type MetricsRegistry } from './registry.ts';
import type { ExpositionFormat } from './respond.ts';

export interface OTelBridge {
  /** Global-registrable provider: OTel meters obtained from it are served beside the facade. */
  readonly provider: MeterProvider;
  /** One collection through the exporter, as Prometheus text 0.0.4 or OpenMetrics 1.0. */
  render(format?: ExpositionFormat): Promise<string>;
  shutdown(): Promise<void>;
}

type Aggregate = (own: MetricData[]) => Promise<MetricData[]>;

/**
 * `aggregate` replaces the facade's data at each collection (the aggregate across processes,
 * src/processes/). `push` builds a second reader (OTLP push) fed with the same facade data.
 */
export function createOTelBridge(
  registry: MetricsRegistry,
  cardinalityLimit: number,
  resource: Resource,
  aggregate?: Aggregate,
  push?: (facade: MetricProducer) => MetricReader | undefined,
): OTelBridge {
  // CommonJS builds, loaded only when metrics are on: the ones telemetry shares (load.ts).
  const { PrometheusExporter, PrometheusSerializer } = load('@opentelemetry/exporter-prometheus') as typeof import('@opentelemetry/exporter-prometheus');
  const { MeterProvider } = load('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const exporter = new PrometheusExporter({
    preventServerStart: true,
    withoutScopeInfo: true, // no otel_scope_* labels on every series
    metricProducers: [registry.producer],
  });
  const pushReader = push?.(servedFacade(registry, aggregate));
  const provider = new MeterProvider({
    // The same service identity as spans (src/resource.ts), served as target_info and pushed.
    resource,
    readers: pushReader ? [exporter, pushReader] : [exporter],
    views: [{ instrumentName: '*', aggregationCardinalityLimit: cardinalityLimit }],
  });
  // Serialises what is not facade data (other meters, target_info) the exporter's way.
  const otelSerializer = new PrometheusSerializer('', false, undefined, false, true);
  return {
    provider,
    async render(format = 'text') {
      const { resourceMetrics, errors } = await exporter.collect();
      if (errors.length > 0) warn('OBS_METRICS_COLLECT', `some metrics could not be collected at this scrape: ${String(errors[0])}`, 'metrics-collect-errors');
      if (aggregate) {
        for (const scope of resourceMetrics.scopeMetrics) {
          if (scope.scope.name === FACADE_SCOPE) scope.metrics = await aggregate(scope.metrics);
        }
      }
      return serialize(resourceMetrics, otelSerializer, format === 'openmetrics');
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The facade's data as /metrics serves it (aggregated across processes), for a push reader. */
function servedFacade(registry: MetricsRegistry, aggregate: Aggregate | undefined): MetricProducer {
  if (!aggregate) return registry.producer;
  return {
    async collect(options) {
      const result = await registry.producer.collect(options);
      for (const scope of result.resourceMetrics.scopeMetrics) scope.metrics = await aggregate(scope.metrics);
      return result;
    },
  };
}
