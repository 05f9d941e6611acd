// Declaration-time and call-time checks, kept out of the metric classes so their hot
// paths stay short (prom-client's lib/validation.js idea). Every message names the
// metric, because the stack trace points at the caller but not at which metric.

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values callers may pass; numbers are rendered with String(). */
export type LabelValue = string | number;

export class MetricsError extends Error {
  override name = 'MetricsError';
}

export function checkMetricName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    throw new MetricsError(
      `Invalid metric name ${JSON.stringify(name)}: Prometheus names match [a-zA-Z_:][a-zA-Z0-9_:]*`,
    );
  }
}

/**
 * Names the exposition writes itself. /metrics serves the service identity as `target_info`
 * (and OpenTelemetry's Prometheus compatibility spec reserves `otel_scope_info` for scope
 * identity): a facade metric of that name would be a second HELP/TYPE family of the same
 * name, which Prometheus rejects, failing the whole scrape.
 */
export const RESERVED_METRIC_NAMES: ReadonlyMap<string, string> = new Map([
  ['target_info', 'the service identity (the resource attributes), written on every scrape'],
  ['otel_scope_info', 'the instrumentation scope identity in the OpenTelemetry Prometheus format'],
]);

export function checkReservedName(name: string): void {
  const use = RESERVED_METRIC_NAMES.get(name);
  if (use !== undefined) {
    throw new MetricsError(
      `Metric name "${name}" is reserved: /metrics already uses it for ${use}; `
      + 'a second family of that name would make Prometheus reject the whole scrape. Choose another name',
    );
  }
}

export function checkHelp(metric: string, help: unknown): asserts help is string {
  if (typeof help !== 'string' || help.trim() === '') {
    throw new MetricsError(`Metric "${metric}": help must be a non-empty string`);
  }
}

/** `reserved` holds names the exposition itself uses (histograms reserve `le`). */
export function checkLabelNames(metric: string, labelNames: unknown, reserved: readonly string[]): readonly string[] {
  if (labelNames === undefined) return [];
  if (!Array.isArray(labelNames)) {
    throw new MetricsError(`Metric "${metric}": labelNames must be an array of strings`);
  }
  const seen = new Set<string>();
  for (const label of labelNames as unknown[]) {
    if (typeof label !== 'string' || !LABEL_NAME.test(label)) {
      throw new MetricsError(
        `Metric "${metric}": invalid label name ${JSON.stringify(label)}: Prometheus label names match [a-zA-Z_][a-zA-Z0-9_]*`,
      );
    }
    if (label.startsWith('__')) {
      throw new MetricsError(`Metric "${metric}": label name "${label}" is reserved (names starting with "__" are Prometheus-internal)`);
    }
    if (reserved.includes(label)) {
      throw new MetricsError(`Metric "${metric}": label name "${label}" is reserved for this metric type`);
    }
    if (seen.has(label)) throw new MetricsError(`Metric "${metric}": duplicate label name "${label}"`);
    seen.add(label);
  }
  return Object.freeze([...(labelNames as string[])]);
}

/** Returns strictly increasing finite bounds; a trailing +Inf is dropped (it is always implied). */
export function checkBuckets(metric: string, buckets: unknown): readonly number[] {
  if (!Array.isArray(buckets) || buckets.length === 0) {
    throw new MetricsError(`Metric "${metric}": buckets must be a non-empty array of numbers`);
  }
  const bounds = (buckets as unknown[]).slice();
  if (bounds[bounds.length - 1] === Infinity) bounds.pop();
  for (let i = 0; i < bounds.length; i++) {
    const b = bounds[i];
    if (typeof b !== 'number' || !Number.isFinite(b)) {
      throw new MetricsError(`Metric "${metric}": bucket ${describe(b)} is not a finite number`);
    }
    if (i > 0 && b <= (bounds[i - 1] as number)) {
      throw new MetricsError(`Metric "${metric}": buckets must be strictly increasing (${bounds[i - 1]} then ${b})`);
    }
  }
  return Object.freeze(bounds as number[]);
}

// The throwers below are called only from failed fast-path checks; keeping them out of
// line keeps the hot methods small enough to inline.

export function badValue(metric: string, what: string, value: unknown): never {
  throw new MetricsError(`Metric "${metric}": ${what} must be a finite number, got ${describe(value)}`);
}

export function negativeIncrement(metric: string, value: number): never {
  throw new MetricsError(`Metric "${metric}": counters only go up; inc(${value}) is negative`);
}

export function badLabelValue(metric: string, label: string, value: unknown): never {
  if (value === undefined) throw new MetricsError(`Metric "${metric}": missing label "${label}"`);
  throw new MetricsError(`Metric "${metric}": label "${label}" must be a string or number, got ${describe(value)}`);
}

/** Explains why a label object does not match the declared names. */
export function labelMismatch(metric: string, labelNames: readonly string[], values: object): never {
  for (const key of Object.keys(values)) {
    if (!labelNames.includes(key)) {
      throw new MetricsError(
        `Metric "${metric}": unknown label "${key}" (declared: ${labelNames.length ? labelNames.join(', ') : 'none'})`,
      );
    }
  }
  for (const label of labelNames) {
    if ((values as Record<string, unknown>)[label] === undefined) {
      throw new MetricsError(`Metric "${metric}": missing label "${label}"`);
    }
  }
  throw new MetricsError(`Metric "${metric}": labels do not match the declared ones (${labelNames.join(', ')})`);
}

export function wrongLabelCount(metric: string, labelNames: readonly string[], count: number): never {
  throw new MetricsError(
    `Metric "${metric}": expected ${labelNames.length} label value(s) (${labelNames.join(', ') || 'none'}), got ${count}`,
  );
}

export function noLabels(metric: string): never {
  throw new MetricsError(`Metric "${metric}" has labels; call .labels(...) before recording`);
}

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : typeof value;
}
