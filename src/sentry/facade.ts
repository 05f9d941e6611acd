// The Sentry facade (spec: sentry.init / capture_exception / capture_message). Module
// code calls this, never @sentry/node. Sentry is loaded only when a DSN is set (it
// costs ~360 ms of startup); without one every capture returns undefined and does
// nothing. OpenTelemetry owns tracing: Sentry is linked to it, not the other way round.

import { createRequire } from 'node:module';
import http from 'node:http';
import https from 'node:https';
import type { IncomingListener } from '../http/incoming.ts';
import { load } from '../telemetry/load.ts';
import { installHint, isNotInstalled } from '../optional.ts';
import { warn } from '../warnings.ts';
import { isValidDsn } from './dsn.ts';
import { observeUnhandledRejections } from './rejections.ts';
import { applyRequest, RequestScopes } from './request-scope.ts';
import { checkBreadcrumb, checkContext, checkTag, checkUser, type Breadcrumb, type User } from './scope-input.ts';

type SentryNode = typeof import('@sentry/node');
export type SeverityLevel = 'fatal' | 'error' | 'warning' | 'log' | 'info' | 'debug';

export interface SentryInitOptions {
  dsn?: string;
  environment?: string;
  release?: string;
}

/** Where spans must go for Sentry to show them: its OTLP endpoint, derived from the DSN. */
export interface SentryOtlpEndpoint {
  url: string;
  headers: Record<string, string>;
}

// Sentry's Http integration wraps every incoming request in its own isolation scope and
// request-data processing: measured here, it alone cuts hello-world throughput to 0.3x.
// OpenTelemetry already isolates context per request, and every event carries the
// request span's trace id, whose span (method, route, status) reaches Sentry over OTLP.
// OnUnhandledRejection is replaced by an observer that is not a listener (rejections.ts).
const REPLACED_INTEGRATIONS = new Set(['Http', 'OnUnhandledRejection']);

const LEVELS: readonly SeverityLevel[] = ['fatal', 'error', 'warning', 'log', 'info', 'debug'];
// Bounded: with Sentry slow or down, at most this many envelopes wait; later ones are dropped, never queued without end.
const TRANSPORT_BUFFER_SIZE = 100;
// @sentry/node's requests have no timeout of their own (its Agent's `timeout` only emits an
// event): an ingest that accepts and never answers would hold a socket, and the process,
// open forever. Sentry answers in milliseconds; a request still open after this is dead.
// A deadline, not an idle timer: an ingest trickling a byte a second kept an idle timer
// from ever firing, and a shut-down process alive for 30 s and more.
const SEND_TIMEOUT_MS = 5_000;

/**
 * http/https for Sentry's transport: every request ended by SEND_TIMEOUT_MS, and never
 * traced. Traced, each upload was a client span under the request that captured the error,
 * exported to the collector and to Sentry with `sentry_key=…` in its url.full.
 */
const boundedHttpModule = {
  request(options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void): http.ClientRequest {
    const request = untraced(() => (options.protocol === 'https:' ? https : http).request(options, callback));
    const deadline = setTimeout(() => request.destroy(new Error(`no complete answer within ${SEND_TIMEOUT_MS} ms`)), SEND_TIMEOUT_MS);
    deadline.unref();
    request.once('close', () => clearTimeout(deadline));
    return request;
  },
};

type Api = typeof import('@opentelemetry/api');
type Core = typeof import('@opentelemetry/core');

/** Runs `work` with OpenTelemetry tracing suppressed, as the span exporters run theirs. */
function untraced<T>(work: () => T): T {
  const { context } = load('@opentelemetry/api') as Api;
  const { suppressTracing } = load('@opentelemetry/core') as Core;
  return context.with(suppressTracing(context.active()), work);
}

let sdk: SentryNode | undefined;
let otlp: SentryOtlpEndpoint | undefined;
/** The request each capture belongs to; its listener is added to the running instance's incoming view. */
const requests = new RequestScopes();

/** What withScope() hands its callback: the scope calls, for the events captured inside it. */
export interface SentryScope {
  setUser(user: User | null): unknown;
  setTag(key: string, value: string | number | boolean): unknown;
  setContext(name: string, context: Record<string, unknown> | null): unknown;
  addBreadcrumb(breadcrumb: Breadcrumb): unknown;
}

const NO_SCOPE: SentryScope = { setUser: () => {}, setTag: () => {}, setContext: () => {}, addBreadcrumb: () => {} };

/** Where a scope call made now belongs: the current request's data, else Sentry's process-wide isolation scope. */
function targetScope(Sentry: SentryNode): InstanceType<SentryNode['Scope']> {
  const request = requests.current();
  if (!request) return Sentry.getIsolationScope();
  request.data ??= new Sentry.Scope();
  return request.data;
}

/** Runs a capture with the current request (if any) on its scope. */
function withRequest<T>(Sentry: SentryNode, capture: () => T): T {
  const request = requests.current();
  if (!request) return capture();
  return Sentry.withScope((scope) => {
    applyRequest(scope, request);
    return capture();
  });
}

function loadSdk(): SentryNode {
  // Synchronous on purpose: once init() returns, captures work and crashes are caught.
  return createRequire(import.meta.url)('@sentry/node') as SentryNode;
}

type Transport = ReturnType<SentryNode['makeNodeTransport']>;

/** Sentry loses events quietly when its ingest is down or refuses them: say so, once. */
function reportingFailures(transport: Transport, otlpUrl: string): Transport {
  const host = new URL(otlpUrl).host;
  const failed = (why: string) => warn('OBS_SENTRY_DELIVERY', `sending events to Sentry at ${host} failed (${why}); `
    + 'events are dropped while it lasts, the app goes on', 'sentry-delivery');
  return {
    ...transport,
    send: (envelope) => transport.send(envelope).then((response) => {
      if (response && typeof response.statusCode === 'number' && response.statusCode >= 400) failed(`HTTP ${response.statusCode}`);
      return response;
    }, (error: unknown) => {
      failed(error instanceof Error ? error.message : String(error));
      throw error;
    }),
  };
}

export const sentry = {
  /** Starts Sentry when `dsn` is set; otherwise does nothing. Returns whether Sentry is on. Idempotent. */
  init({ dsn, environment, release }: SentryInitOptions = {}): boolean {
    if (sdk) return true;
    if (!dsn) return false;
    if (!isValidDsn(dsn)) {
      warn('OBS_SENTRY_DSN', 'SENTRY_DSN is not a valid Sentry DSN (expected https://<key>@<host>/<project>); Sentry is off');
      return false;
    }
    let Sentry: SentryNode;
    try {
      Sentry = loadSdk();
    } catch (error) {
      if (isNotInstalled(error, '@sentry/node')) {
        // An optional peer dependency: the default install leaves it out (optional.ts).
        warn('OBS_PACKAGE_MISSING', `a Sentry DSN is set but @sentry/node is not installed; Sentry is off (${installHint('@sentry/node')})`);
        return false;
      }
      warn('OBS_SENTRY_LOAD', `Sentry is off: @sentry/node could not be loaded (${(error as Error).message})`);
      return false;
    }
    const endpoint = Sentry.getOtlpTracesEndpoint(dsn);
    if (!endpoint) {
      warn('OBS_SENTRY_DSN', 'SENTRY_DSN is not a valid Sentry DSN (expected https://<key>@<host>/<project>); Sentry is off');
      return false;
    }
    Sentry.init({
      dsn,
      environment,
      release,
      // No tracesSampleRate and no Sentry OTel setup: OpenTelemetry owns tracing, and with
      // Sentry's own tracing on, every request would split into two unrelated traces.
      enableOpenTelemetrySetup: false,
      integrations: (defaults) => [
        ...defaults.filter((integration) => !REPLACED_INTEGRATIONS.has(integration.name)),
        // Errors and messages carry the active OTel span's trace and span ids.
        Sentry.openTelemetryIntegration(),
      ],
      transportOptions: { bufferSize: TRANSPORT_BUFFER_SIZE },
      transport: (options) => reportingFailures(Sentry.makeNodeTransport({ ...options, httpModule: boundedHttpModule }), endpoint.url),
    });
    sdk = Sentry;
    otlp = endpoint;
    // What Sentry's integration sends, without its listener: Node decides what happens next.
    observeUnhandledRejections((reason, promise) => Sentry.captureException(reason, {
      originalException: promise,
      captureContext: { extra: { unhandledPromiseRejection: true } },
      mechanism: { handled: false, type: 'auto.node.onunhandledrejection' },
    }));
    return true;
  },

  isEnabled(): boolean {
    return sdk?.isEnabled() ?? false;
  },

  /** The OTLP traces endpoint derived from the DSN, once Sentry is on. */
  otlpEndpoint(): SentryOtlpEndpoint | undefined {
    return otlp;
  },

  /** Sends `error` to Sentry; returns the event id, or undefined when Sentry is off. */
  captureException(error: unknown): string | undefined {
    const Sentry = sdk;
    if (!Sentry) return undefined;
    return withRequest(Sentry, () => Sentry.captureException(error));
  },

  /** Sends a message at `level` (default 'info'); returns the event id, or undefined when Sentry is off. */
  captureMessage(message: string, level: SeverityLevel = 'info'): string | undefined {
    if (!sdk) return undefined;
    if (!LEVELS.includes(level)) {
      warn('OBS_SENTRY_LEVEL', `sentry.captureMessage: unknown level ${JSON.stringify(level)}; expected one of ${LEVELS.join(', ')}; using "info"`);
      level = 'info';
    }
    const Sentry = sdk;
    return withRequest(Sentry, () => Sentry.captureMessage(String(message), level));
  },

  /**
   * The user of events captured from now on: inside a request, that request's events only
   * (overlapping requests keep their own); outside, every event. null clears it.
   */
  setUser(user: User | null): void {
    if (!sdk || !checkUser(user)) return;
    targetScope(sdk).setUser(user);
  },

  /** A tag (searchable in Sentry) for this request's events, or every event outside a request. */
  setTag(key: string, value: string | number | boolean): void {
    if (!sdk || !checkTag(key, value)) return;
    targetScope(sdk).setTag(key, value);
  },

  /** A named block of structured context, scoped like setTag; null removes it. */
  setContext(name: string, context: Record<string, unknown> | null): void {
    if (!sdk || !checkContext(name, context)) return;
    targetScope(sdk).setContext(name, context);
  },

  /** A breadcrumb for this request's events, or every later event outside a request. */
  addBreadcrumb(breadcrumb: Breadcrumb): void {
    if (!sdk || !checkBreadcrumb(breadcrumb)) return;
    targetScope(sdk).addBreadcrumb(breadcrumb);
  },

  /** Runs `callback` with a scope of its own: what it sets applies to the events captured inside it only. */
  withScope<T>(callback: (scope: SentryScope) => T): T {
    if (!sdk) return callback(NO_SCOPE);
    return sdk.withScope((scope) => callback(scope));
  },

  /** The incoming-request listener that lets events know their request (added by the running instance). */
  requestListener(): IncomingListener {
    return requests.listener;
  },

  /** Waits up to `timeoutMs` for queued events to be sent. True if everything went. */
  async flush(timeoutMs = 2_000): Promise<boolean> {
    if (!sdk) return true;
    try {
      return await sdk.flush(timeoutMs);
    } catch {
      return false;
    }
  },

  /** Flushes within `timeoutMs` and turns Sentry off; captures return undefined afterwards. */
  async close(timeoutMs = 2_000): Promise<boolean> {
    const current = sdk;
    if (!current) return true;
    sdk = undefined;
    otlp = undefined;
    try {
      return await current.close(timeoutMs);
    } catch {
      return false;
    }
  },
};
