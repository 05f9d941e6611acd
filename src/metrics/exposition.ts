// Prometheus text format 0.0.4, or OpenMetrics 1.0, from one OTel collection.
//
// Facade metrics are written here, exactly as declared: the exporter's PrometheusSerializer
// (0.300) appends `_total` to every monotonic sum that lacks it and rewrites `:` in names,
// so a counter declared `jobs_processed` would come out renamed; it also re-derives label
// text for every point on every scrape. Here label text is rendered once per series and
// cached. Everything else OTel collected (users' own meters, instrumentations, target_info)
// keeps the exporter's serializer and its naming conventions.
//
// OpenMetrics differs in what the scraper reads, never in series names (a dashboard must not
// break when Prometheus switches format): a counter's family is its name without `_total`
// (a facade counter declared without `_total` is typed `unknown`, so its one sample keeps
// its name), HELP escapes `"`, `# UNIT` only where the name ends in it, histogram buckets
// and counters' `_total` samples carry their exemplars, and `# EOF` ends the body. No `_created`: optional, and a series
// per counter more in every Prometheus.

import type { Attributes } from '@opentelemetry/api';
import type { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { DataPoint, Histogram, MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { DataPointType } from './otel-values.ts';
import { warn } from '../warnings.ts';
import { type Exemplars, exemplarsOf } from './exemplars.ts';
import { FACADE_SCOPE } from './registry.ts';

/** Label text per attributes object, e.g. `method="GET",status="200"` (no braces). */
const labelText = new WeakMap<Attributes, string>();
/** `le` values per boundaries array, e.g. ['0.1', '1', '+Inf']. */
const leText = new WeakMap<readonly number[], string[]>();

const NO_METRICS = '# no registered metrics';

/** Units named in `# UNIT`; a family gets one only when its name ends in `_<unit>` (OpenMetrics requires it). */
const UNIT = /_(seconds|bytes|ratio|meters|grams|joules|volts|amperes|celsius)$/;

export function serialize(resourceMetrics: ResourceMetrics, otelSerializer: PrometheusSerializer, openMetrics = false): string {
  let out = '';
  const ours = new Set<string>();
  const others: ResourceMetrics['scopeMetrics'] = [];
  for (const scopeMetrics of resourceMetrics.scopeMetrics) {
    if (scopeMetrics.scope.name !== FACADE_SCOPE) {
      others.push(scopeMetrics);
      continue;
    }
    for (const metric of scopeMetrics.metrics) {
      ours.add(metric.descriptor.name);
      out += openMetrics ? openMetricsFamily(metric) : family(metric);
    }
  }
  // The exporter always adds target_info (unless configured off), so it is called even with no other scopes.
  const rest = otelSerializer.serialize({ resource: resourceMetrics.resource, scopeMetrics: withoutClashes(others, ours) });
  const restText = rest.endsWith(NO_METRICS) ? rest.slice(0, -NO_METRICS.length) : rest;
  return openMetrics ? `${otelToOpenMetrics(restText)}${out}# EOF\n` : restText + out;
}

/**
 * The exporter's 0.0.4 text as OpenMetrics. Its counters end in `_total` and are typed
 * `counter` on that name: the family drops the suffix. Its `# UNIT` is the OTel unit (`ms`,
 * `By`), not a suffix of the name, which fails an OpenMetrics scrape: kept only when it is
 * one. Other comments are not allowed in OpenMetrics.
 */
function otelToOpenMetrics(text: string): string {
  if (text === '') return text;
  const counters = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) counter$/gm)) counters.add(match[1] as string);
  let out = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line[0] !== '#') {
      out += `${line}\n`;
      continue;
    }
    const match = /^# (HELP|TYPE|UNIT) (\S+) ?(.*)$/.exec(line);
    if (match === null) continue;
    const [, kind, name = '', rest = ''] = match;
    const familyName = counters.has(name) && name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
    if (kind === 'HELP') out += `# HELP ${familyName} ${rest.replace(/"/g, '\\"')}\n`;
    else if (kind === 'TYPE') out += `# TYPE ${familyName} ${rest === 'untyped' ? 'unknown' : rest}\n`;
    else if (familyName.endsWith(`_${rest}`)) out += `# UNIT ${familyName} ${rest}\n`;
  }
  return out;
}

/** Drops OTel metrics whose exposition name a facade metric already uses: one family per name. */
function withoutClashes(scopes: ResourceMetrics['scopeMetrics'], ours: Set<string>): ResourceMetrics['scopeMetrics'] {
  return scopes.map((scope) => ({
    scope: scope.scope,
    metrics: scope.metrics.filter((metric) => {
      const name = exporterName(metric);
      if (!ours.has(name)) return true;
      warn('OBS_METRIC_HIDDEN', `OTel metric "${metric.descriptor.name}" (meter "${scope.scope.name}") is hidden: the metrics facade already declares "${name}"`);
      return false;
    }),
  }));
}

/** The name PrometheusSerializer 0.300 gives a metric (sanitised, `_total` on monotonic sums). */
function exporterName(metric: MetricData): string {
  let name = metric.descriptor.name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
  if (/^[0-9]/.test(name)) name = `_${name}`;
  if (metric.dataPointType === DataPointType.SUM && metric.isMonotonic && !name.endsWith('_total')) name += '_total';
  return name;
}

function family(metric: MetricData): string {
  const name = metric.descriptor.name;
  let text = `# HELP ${name} ${escapeHelp(metric.descriptor.description)}\n# TYPE ${name} ${typeOf(metric)}\n`;
  switch (metric.dataPointType) {
    case DataPointType.SUM:
    case DataPointType.GAUGE:
      for (const point of metric.dataPoints) {
        const labels = labelsOf(point.attributes);
        text += `${name}${labels === '' ? '' : `{${labels}}`} ${number(point.value)}\n`;
      }
      break;
    case DataPointType.HISTOGRAM:
      for (const point of metric.dataPoints) text += histogramPoint(name, point);
      break;
    default:
      break; // the facade produces no exponential histograms
  }
  return text;
}

function openMetricsFamily(metric: MetricData): string {
  const name = metric.descriptor.name;
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    let text = metadata(name, metric.descriptor.description, 'histogram');
    for (const point of metric.dataPoints) text += histogramPoint(name, point, exemplarsOf(point.value));
    return text;
  }
  let type = typeOf(metric);
  let familyName = name;
  if (type === 'counter') {
    if (name.endsWith('_total')) familyName = name.slice(0, -'_total'.length);
    else type = 'unknown';
  }
  let text = metadata(familyName, metric.descriptor.description, type);
  for (const point of metric.dataPoints as DataPoint<number>[]) {
    const labels = labelsOf(point.attributes);
    // OpenMetrics allows an exemplar on a counter's _total sample, not on unknown or gauge.
    const exemplar = type === 'counter' ? exemplarsOf(point)?.text(0) : undefined;
    text += `${name}${labels === '' ? '' : `{${labels}}`} ${number(point.value)}${exemplar === undefined ? '' : ` ${exemplar}`}\n`;
  }
  return text;
}

function metadata(familyName: string, help: string, type: string): string {
  const unit = UNIT.exec(familyName);
  return `# HELP ${familyName} ${escapeHelp(help).replace(/"/g, '\\"')}\n${unit ? `# UNIT ${familyName} ${unit[1]}\n` : ''}# TYPE ${familyName} ${type}\n`;
}

function histogramPoint(name: string, point: DataPoint<Histogram>, exemplars?: Exemplars): string {
  const labels = labelsOf(point.attributes);
  const { boundaries, counts } = point.value.buckets;
  const le = leOf(boundaries);
  const open = `${name}_bucket{${labels === '' ? '' : `${labels},`}le="`;
  let text = '';
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i] as number;
    const exemplar = exemplars?.text(i);
    text += exemplar === undefined ? `${open}${le[i]}"} ${cumulative}\n` : `${open}${le[i]}"} ${cumulative} ${exemplar}\n`;
  }
  const braces = labels === '' ? '' : `{${labels}}`;
  return `${text}${name}_sum${braces} ${number(point.value.sum ?? 0)}\n${name}_count${braces} ${point.value.count}\n`;
}

function typeOf(metric: MetricData): string {
  if (metric.dataPointType === DataPointType.HISTOGRAM) return 'histogram';
  if (metric.dataPointType === DataPointType.SUM && metric.isMonotonic) return 'counter';
  return 'gauge';
}

function labelsOf(attributes: Attributes): string {
  let text = labelText.get(attributes);
  if (text === undefined) {
    text = '';
    for (const key in attributes) {
      text += `${text === '' ? '' : ','}${key}="${escapeLabel(String(attributes[key]))}"`;
    }
    labelText.set(attributes, text);
  }
  return text;
}

function leOf(boundaries: readonly number[]): string[] {
  let text = leText.get(boundaries);
  if (text === undefined) {
    text = boundaries.map(number);
    text.push('+Inf');
    leText.set(boundaries, text);
  }
  return text;
}

function number(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeHelp(help: string): string {
  return /[\\\n]/.test(help) ? help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : help;
}

function escapeLabel(value: string): string {
  return /[\\\n"]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value;
}
