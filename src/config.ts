// Options + environment -> one validated Config. Explicit options win over the
// environment; a bad value never throws: it yields a warning naming the option or
// variable, the value and the fallback taken, and the SDK goes on with the fallback.

import { scrubText, withoutUserinfo } from './health/scrub.ts';
import { DEFAULT_CARDINALITY_LIMIT } from './metrics/state.ts';

/** A health check's deadline when it sets no timeoutMs of its own. */
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 500;
/** How long a finished health run counts as recent for the endpoints. */
export const DEFAULT_HEALTH_CACHE_TTL_MS = 1000;
/** p99 event-loop delay above which the built-in event-loop check is DEGRADED. */
export const DEFAULT_EVENT_LOOP_THRESHOLD_MS = 200;

/** The spec's init_observability keyword arguments in camelCase, plus the SDK's own. */
export interface ObservabilityOptions {
  /** Serve Prometheus metrics on /metrics. Env ENABLE_METRICS. Default false (spec). */
  enableMetrics?: boolean;
  /** Sentry DSN; Sentry is off without one. Env SENTRY_DSN. */
  sentryDsn?: string;
  /** Env ENVIRONMENT. Default "development" (spec). */
  environment?: string;
  /** Release / service version. Env SENTRY_RELEASE. */
  release?: string;
  /** Links served on /health/tools. Env FLOWER_URL, GRAFANA_URL, PROMETHEUS_URL. */
  flowerUrl?: string;
  grafanaUrl?: string;
  prometheusUrl?: string;
  /** Env OTEL_SERVICE_NAME; else the app's package.json name. */
  serviceName?: string;
  /** Port of the built-in observability server. Env OBSERVABILITY_PORT. Default 9464. */
  port?: number;
  /** Address it binds. Env OBSERVABILITY_HOST. Default "0.0.0.0". */
  host?: string;
  /** Start the built-in server; false when only healthRouter on the app's server is wanted. Env OBSERVABILITY_SERVER. */
  startServer?: boolean;
  /** Deadline of a health check without its own timeoutMs. Env HEALTH_CHECK_TIMEOUT_MS. Default 500. */
  healthCheckTimeoutMs?: number;
  /** How long a finished health run is reused by the endpoints. Env HEALTH_CACHE_TTL_MS. Default 1000. */
  healthCacheTtlMs?: number;
  /**
   * p99 event-loop delay above which the built-in "event-loop" check is DEGRADED; 0 turns
   * the check off. Env HEALTH_EVENT_LOOP_DELAY_MS. Default 200.
   */
  eventLoopDelayThresholdMs?: number;
  /**
   * Opt-in: p99 event-loop delay above which the "event-loop" check is UNHEALTHY and fails
   * liveness. Env HEALTH_EVENT_LOOP_LIVENESS_MS. Default none: a busy loop never restarts the pod.
   */
  eventLoopLivenessMs?: number;
  /** On SIGTERM, keep serving this long with readiness 503. Env OBSERVABILITY_DRAIN_DELAY_MS. Default 5000 in Kubernetes, else 0. */
  drainDelayMs?: number;
  /** Bound on flushing and closing after the drain. Env OBSERVABILITY_SHUTDOWN_GRACE_MS. Default 10000. */
  shutdownGraceMs?: number;
  /** Series cap per metric. Env METRICS_CARDINALITY_LIMIT. Default 2000. */
  metricsCardinalityLimit?: number;
  /**
   * Bearer token required for /metrics, /health/tools and the check details of /health
   * (probes stay open). Env OBSERVABILITY_AUTH_TOKEN. Default none: everything open.
   */
  authToken?: string;
  /** Where the environment is read from. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface Config {
  enableMetrics: boolean;
  sentryDsn: string | undefined;
  environment: string;
  release: string | undefined;
  tools: { flower: string | null; grafana: string | null; prometheus: string | null };
  serviceName: string | undefined;
  port: number;
  host: string;
  startServer: boolean;
  healthCheckTimeoutMs: number;
  healthCacheTtlMs: number;
  eventLoopDelayThresholdMs: number;
  eventLoopLivenessMs: number | undefined;
  drainDelayMs: number;
  shutdownGraceMs: number;
  metricsCardinalityLimit: number;
  authToken: string | undefined;
  env: NodeJS.ProcessEnv;
}

export interface ResolvedConfig {
  config: Config;
  /** One line per bad value: what it was, why it's wrong, and what is used instead. */
  warnings: string[];
}

interface Parser<T> {
  parse(value: unknown): T | undefined;
  /** What a valid value looks like, for the warning. */
  expected: string;
  /** Never shown in a warning. */
  secret?: boolean;
}

const booleanParser: Parser<boolean> = {
  expected: 'true or false',
  parse(value) {
    if (typeof value === 'boolean') return value;
    if (typeof value !== 'string') return undefined;
    const word = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(word)) return true;
    if (['false', '0', 'no', 'off'].includes(word)) return false;
    return undefined;
  },
};

function integerParser(min: number, max: number, expected: string): Parser<number> {
  return {
    expected,
    parse(value) {
      const number = typeof value === 'number' ? value
        : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
      return Number.isInteger(number) && number >= min && number <= max ? number : undefined;
    },
  };
}

const stringParser: Parser<string> = {
  expected: 'a non-empty string',
  parse: (value) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined),
};

const tokenParser: Parser<string> = {
  expected: 'a token without spaces',
  secret: true,
  parse: (value) => (typeof value === 'string' && /^\S+$/.test(value.trim()) ? value.trim() : undefined),
};
const MIN_TOKEN_LENGTH = 16;

const urlParser: Parser<string> = {
  expected: 'an http(s) URL',
  parse(value) {
    if (typeof value !== 'string') return undefined;
    try {
      const url = new URL(value.trim());
      // A link served on /health/tools: credentials in it would be handed to every caller.
      return url.protocol === 'http:' || url.protocol === 'https:' ? withoutUserinfo(value.trim()) : undefined;
    } catch {
      return undefined;
    }
  },
};

const DAY_MS = 86_400_000;
const portParser = integerParser(0, 65535, 'a port number from 0 to 65535');
const positiveMsParser = integerParser(1, DAY_MS, 'a whole number of milliseconds from 1 to 86400000');
const msParser = integerParser(0, DAY_MS, 'a whole number of milliseconds from 0 to 86400000');
const limitParser = integerParser(1, 10_000_000, 'a whole number from 1 to 10000000');

export const DEFAULT_PORT = 9464;
export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
export const KUBERNETES_DRAIN_DELAY_MS = 5_000;

export function resolveConfig(options: ObservabilityOptions = {}): ResolvedConfig {
  const warnings: string[] = [];
  const env = options.env ?? process.env;

  function setting<T>(option: keyof ObservabilityOptions, variable: string, parser: Parser<T>, fallback: T): T;
  function setting<T>(option: keyof ObservabilityOptions, variable: string, parser: Parser<T>): T | undefined;
  function setting<T>(option: keyof ObservabilityOptions, variable: string, parser: Parser<T>, fallback?: T) {
    const explicit = options[option];
    const raw = env[variable];
    const fromEnv = raw === undefined || raw.trim() === '' ? undefined : parser.parse(raw);
    const orElse = fromEnv ?? fallback;
    const using = orElse === undefined ? 'ignoring it' : `using ${JSON.stringify(orElse)}`
      + (fromEnv !== undefined ? ` from ${variable}` : '');
    if (explicit !== undefined) {
      const parsed = parser.parse(explicit);
      if (parsed !== undefined) return parsed;
      warnings.push(`option ${option}=${parser.secret ? '(hidden)' : show(explicit)} is not ${parser.expected}; ${using}`);
      return orElse;
    }
    if (raw !== undefined && raw.trim() !== '' && fromEnv === undefined) {
      const fallbackUsing = fallback === undefined ? 'ignoring it' : `using ${JSON.stringify(fallback)}`;
      warnings.push(`${variable}=${parser.secret ? '(hidden)' : show(raw)} is not ${parser.expected}; ${fallbackUsing}`);
    }
    return orElse;
  }

  const inKubernetes = Boolean(env.KUBERNETES_SERVICE_HOST);
  const config: Config = {
    enableMetrics: setting('enableMetrics', 'ENABLE_METRICS', booleanParser, false),
    sentryDsn: setting('sentryDsn', 'SENTRY_DSN', stringParser),
    environment: setting('environment', 'ENVIRONMENT', stringParser, 'development'),
    release: setting('release', 'SENTRY_RELEASE', stringParser),
    tools: {
      flower: setting('flowerUrl', 'FLOWER_URL', urlParser) ?? null,
      grafana: setting('grafanaUrl', 'GRAFANA_URL', urlParser) ?? null,
      prometheus: setting('prometheusUrl', 'PROMETHEUS_URL', urlParser) ?? null,
    },
    serviceName: setting('serviceName', 'OTEL_SERVICE_NAME', stringParser),
    port: setting('port', 'OBSERVABILITY_PORT', portParser, DEFAULT_PORT),
    host: setting('host', 'OBSERVABILITY_HOST', stringParser, DEFAULT_HOST),
    startServer: setting('startServer', 'OBSERVABILITY_SERVER', booleanParser, true),
    healthCheckTimeoutMs: setting('healthCheckTimeoutMs', 'HEALTH_CHECK_TIMEOUT_MS', positiveMsParser,
      DEFAULT_HEALTH_CHECK_TIMEOUT_MS),
    healthCacheTtlMs: setting('healthCacheTtlMs', 'HEALTH_CACHE_TTL_MS', msParser, DEFAULT_HEALTH_CACHE_TTL_MS),
    eventLoopDelayThresholdMs: setting('eventLoopDelayThresholdMs', 'HEALTH_EVENT_LOOP_DELAY_MS', msParser,
      DEFAULT_EVENT_LOOP_THRESHOLD_MS),
    eventLoopLivenessMs: setting('eventLoopLivenessMs', 'HEALTH_EVENT_LOOP_LIVENESS_MS', positiveMsParser),
    drainDelayMs: setting('drainDelayMs', 'OBSERVABILITY_DRAIN_DELAY_MS', msParser,
      inKubernetes ? KUBERNETES_DRAIN_DELAY_MS : 0),
    shutdownGraceMs: setting('shutdownGraceMs', 'OBSERVABILITY_SHUTDOWN_GRACE_MS', msParser, DEFAULT_SHUTDOWN_GRACE_MS),
    metricsCardinalityLimit: setting('metricsCardinalityLimit', 'METRICS_CARDINALITY_LIMIT', limitParser,
      DEFAULT_CARDINALITY_LIMIT),
    authToken: setting('authToken', 'OBSERVABILITY_AUTH_TOKEN', tokenParser),
    env,
  };
  // A short token still protects more than none, so it is used; the value is never echoed.
  if (config.authToken && config.authToken.length < MIN_TOKEN_LENGTH) {
    warnings.push(`the auth token (OBSERVABILITY_AUTH_TOKEN / authToken) is shorter than ${MIN_TOKEN_LENGTH} characters; `
      + 'it is used, but a long random token is safer');
  }
  return { config, warnings };
}

/** A value as a warning may show it: shortened, and with any credentials in it masked. */
function show(value: unknown): string {
  if (typeof value === 'string') {
    // Scrubbed before it is shortened: a cut inside a URL's password would hide its end "@".
    const scrubbed = scrubText(value.slice(0, 4096));
    return JSON.stringify(scrubbed.length > 60 ? `${scrubbed.slice(0, 60)}…` : scrubbed);
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
