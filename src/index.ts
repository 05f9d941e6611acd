// The public API of @wizamart/observability, and nothing else.

export { initObservability, shutdownObservability, healthRouter, type ObservabilityStarted } from './observability.ts';
export type { ObservabilityOptions } from './config.ts';
export { healthRegistry, HealthRegistry } from './health/registry.ts';
export type { HealthCheckOptions, Probe } from './health/check-entry.ts';
export {
  HealthStatus,
  type HealthCheck,
  type HealthCheckOutcome,
  type HealthCheckResult,
  type HealthCheckGrace,
  type HealthReport,
} from './health/status.ts';
export { defineModule, registerModuleHealthChecks, type ModuleDefinition } from './modules.ts';
export {
  metricsRegistry,
  MetricsRegistry,
  MetricsError,
  type Counter,
  type CounterSeries,
  type Gauge,
  type GaugeSeries,
  type GaugeOptions,
  type Histogram,
  type HistogramSeries,
  type HistogramOptions,
  type Labels,
  type LabelValue,
} from './metrics/index.ts';
export { sentry, type SentryInitOptions, type SentryScope, type SeverityLevel } from './sentry/facade.ts';
export type { Breadcrumb as SentryBreadcrumb, User as SentryUser } from './sentry/scope-input.ts';
export { WARNING_CODES, type WarningCode } from './warnings.ts';
