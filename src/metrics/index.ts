// The metrics concept's public surface: the facade, its types, and the pipeline the
// lifecycle starts. Nothing here imports the server; the server calls pipeline.handle.

export { metricsRegistry, MetricsRegistry, type GaugeOptions } from './registry.ts';
export { Counter, CounterSeries } from './counter.ts';
export { Gauge, GaugeSeries } from './gauge.ts';
export { Histogram, HistogramSeries, DEFAULT_BUCKETS, type HistogramOptions } from './histogram.ts';
export type { Labels, MetricType } from './metric.ts';
export { MetricsError, type LabelValue } from './validate.ts';
export { DEFAULT_CARDINALITY_LIMIT, OVERFLOW_LABEL } from './state.ts';
export { startMetrics, type MetricsOptions, type MetricsPipeline } from './pipeline.ts';
