// The observability endpoints (spec: "API Endpoints") as one connect-style handler,
// mounted by the built-in server and exported as healthRouter for the app's own server.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HealthRegistry, HealthSnapshot } from '../health/registry.ts';
import { HEALTH_JSON, healthJsonStatusCode, toHealthJson } from '../health/health-json.ts';
import { HealthStatus } from '../health/status.ts';
import { warn } from '../warnings.ts';
import { markOwnRequest } from './incoming.ts';
import { prefers } from './negotiate.ts';
import { sendJson, sendText } from './respond.ts';

/**
 * The service's place in its life, as readiness reports it (lightship's explicit states).
 * 'starting': initObservability() is bringing the parts up; 'serving': normal;
 * 'draining': shutdown has begun, so readiness turns 503 while liveness stays 200.
 */
export type LifecycleState = 'starting' | 'serving' | 'draining';

export interface ToolLinks {
  flower: string | null;
  grafana: string | null;
  prometheus: string | null;
}

/**
 * The startup probe's one-way latch: once open, /health/startup answers 200 for good
 * (later failures are readiness' and liveness' business, never a restart by the startupProbe).
 */
export interface StartupLatch {
  open: boolean;
}

export interface MetricsHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** What the endpoints read, per request: the running instance (src/running.ts), or the idle view. */
export interface EndpointView {
  readonly registry: HealthRegistry;
  readonly state: LifecycleState;
  readonly tools: ToolLinks;
  readonly metrics: MetricsHandler | undefined;
  readonly startup: StartupLatch;
  /** Whether `req` may see /metrics, /health/tools and check details (OBSERVABILITY_AUTH_TOKEN). */
  authorized(req: IncomingMessage): boolean;
}

/**
 * How long a probe waits for a fresh health run before answering from the previous one.
 * Fast checks (a local ping) finish well inside it; a hung dependency can't stretch a
 * probe past it, so the kubelet's 1 s timeout is never at risk.
 */
export const PROBE_WAIT_MS = 50;

export const METRICS_DISABLED_MESSAGE =
  'metrics are disabled: set ENABLE_METRICS=true or call initObservability({ enableMetrics: true })';

type Next = (error?: unknown) => void;
type Route = (req: IncomingMessage, res: ServerResponse, view: EndpointView) => Promise<void> | void;

const routes: Record<string, Route> = {
  '/health': async (req, res, { registry, authorized }) => {
    const snapshot = forTags(req, registry, await registry.snapshot());
    if (!snapshot) return noSuchTag(req, res);
    const { report } = snapshot;
    // Without the token, the verdict only: check names and messages describe the infrastructure.
    const details = authorized(req);
    // The answer depends on Accept: a cache between us and the client must know.
    const vary = { Vary: 'Accept' };
    if (prefers(req, HEALTH_JSON)) {
      return sendJson(req, res, healthJsonStatusCode(report), toHealthJson(report, details), vary, HEALTH_JSON);
    }
    if (!details) return sendJson(req, res, 200, { status: report.status, timestamp: report.timestamp }, vary);
    sendJson(req, res, 200, report, vary);
  },

  '/health/live': async (req, res, { registry }) => {
    // Liveness asks nothing of external services unless a check opted into it.
    if (!registry.affects('liveness')) return sendJson(req, res, 200, { status: 'alive' });
    const { liveness } = await registry.snapshot(PROBE_WAIT_MS);
    if (liveness === HealthStatus.UNHEALTHY) return sendJson(req, res, 503, { status: 'not_alive', health: liveness });
    sendJson(req, res, 200, { status: 'alive' });
  },

  '/health/ready': async (req, res, view) => {
    const snapshot = forTags(req, view.registry, await view.registry.snapshot(PROBE_WAIT_MS));
    if (!snapshot) return noSuchTag(req, res);
    const { readiness } = snapshot;
    // Read after the wait: a shutdown that began meanwhile must already answer 503.
    const { state } = view;
    if (state !== 'serving') return sendJson(req, res, 503, { status: 'not_ready', health: readiness, reason: state });
    if (readiness === HealthStatus.UNHEALTHY) return sendJson(req, res, 503, { status: 'not_ready', health: readiness });
    sendJson(req, res, 200, { status: 'ready', health: readiness });
  },

  '/health/startup': async (req, res, view) => {
    if (view.startup.open) return sendJson(req, res, 200, { status: 'started' });
    if (view.state === 'starting') return sendJson(req, res, 503, { status: 'starting', reason: 'initialising' });
    // Runs only while some startup check has not passed yet; after that the latch is open.
    if (view.registry.startupPending().length > 0) await view.registry.snapshot(PROBE_WAIT_MS);
    const pending = view.registry.startupPending();
    if (pending.length > 0) {
      // Check names describe the infrastructure: only with the token, as on /health.
      return sendJson(req, res, 503, { status: 'starting', reason: 'checks', ...(view.authorized(req) ? { pending } : {}) });
    }
    view.startup.open = true;
    sendJson(req, res, 200, { status: 'started' });
  },

  '/health/tools': (req, res, { tools, authorized }) => {
    if (!authorized(req)) return unauthorized(req, res);
    sendJson(req, res, 200, tools);
  },

  '/metrics': async (req, res, { metrics, authorized }) => {
    if (!authorized(req)) return unauthorized(req, res);
    if (!metrics) return sendText(req, res, 404, METRICS_DISABLED_MESSAGE);
    await metrics.handle(req, res);
  },
};

export const ENDPOINT_PATHS: readonly string[] = Object.keys(routes);

/**
 * Builds the connect-style handler over the view `current()` returns at each request.
 * Unknown paths go to `next` when there is one, else 404. A request it answers is the
 * SDK's own traffic: not counted in the app's request metrics, not traced.
 */
export function createEndpointHandler(current: () => EndpointView) {
  return function observabilityEndpoints(req: IncomingMessage, res: ServerResponse, next?: Next): void {
    const path = pathOf(req.url);
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) {
      if (next) return next();
      return sendJson(req, res, 404, { error: 'not found' });
    }
    markOwnRequest(req);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendJson(req, res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
    }
    let served: Promise<void> | void;
    try {
      served = route(req, res, current());
    } catch (error) {
      return failed(req, res, error);
    }
    if (served) served.catch((error: unknown) => failed(req, res, error));
  };
}

/**
 * `?tag=db` (repeatable: any of them) narrows /health and /health/ready to the checks with
 * that tag; undefined when no check has any of them. Without `tag`, the whole snapshot.
 */
function forTags(req: IncomingMessage, registry: HealthRegistry, snapshot: HealthSnapshot): HealthSnapshot | undefined {
  const query = req.url?.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
  const tags = new URLSearchParams(query).getAll('tag');
  return tags.length === 0 ? snapshot : registry.withTags(snapshot, tags);
}

function noSuchTag(req: IncomingMessage, res: ServerResponse): void {
  // Not echoing the tag back: the endpoints never reflect request input.
  sendJson(req, res, 404, { error: 'no health check has that tag' });
}

function unauthorized(req: IncomingMessage, res: ServerResponse): void {
  sendJson(req, res, 401, { error: 'unauthorized: send Authorization: Bearer <OBSERVABILITY_AUTH_TOKEN>' },
    { 'WWW-Authenticate': 'Bearer realm="observability"' });
}

function failed(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  warn('OBS_ENDPOINT_FAILED', `endpoint ${pathOf(req.url)} failed: ${error instanceof Error ? error.message : String(error)}`);
  sendJson(req, res, 500, { error: 'internal error' });
}

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
