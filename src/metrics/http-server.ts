// Zero-code RED metrics for incoming HTTP, from node:http's diagnostics channels
// (`http.server.request.start` / `http.server.response.finish`, Node >= 16.18, so also in
// 22.15). No patching and no per-request span: a timestamp on the request and one bound
// histogram observation at finish, a small fraction of the OTel http instrumentation's cost.

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricsRegistry } from './registry.ts';

export const HTTP_SERVER_DURATION = 'http_server_request_duration_seconds';

/** OTel semantic-convention advice for http.server.request.duration, in seconds. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Methods kept as they are; anything else becomes `_OTHER` (semconv), so a client cannot explode cardinality. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

const START = Symbol('wizamart.metrics.requestStart');
const ROUTE = Symbol('wizamart.metrics.route');

/** Fastify 5 publishes the matched route here before running the handler; `request.raw` is node's request. */
const FASTIFY_HANDLER_START = 'tracing:fastify.request.handler:start';

interface FastifyHandlerStart {
  request?: { raw?: IncomingMessage & { [ROUTE]?: string } };
  route?: { url?: unknown };
}

interface ServerMessage {
  request: IncomingMessage & { [START]?: number };
  response: ServerResponse;
  server: unknown;
}

/**
 * The route template of a finished request. Fastify's was recorded from its channel;
 * Express (4 and 5) leave theirs on the request: baseUrl of the mounted router + route.path.
 */
export function routeOf(req: IncomingMessage): string {
  const r = req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: unknown; [ROUTE]?: string };
  if (r[ROUTE] !== undefined) return r[ROUTE];
  const path = r.route?.path;
  if (path === undefined) return ''; // unknown: Prometheus treats "" as an absent label, as semconv asks
  return `${typeof r.baseUrl === 'string' ? r.baseUrl : ''}${typeof path === 'string' ? path : String(path)}`;
}

/** Starts recording; returns the function that stops it. */
export function recordHttpServerMetrics(registry: MetricsRegistry, isOwnServer: (server: unknown) => boolean): () => void {
  const duration = registry.histogram(
    HTTP_SERVER_DURATION,
    'Duration of HTTP server requests',
    ['http_request_method', 'http_route', 'http_response_status_code'],
    { buckets: HTTP_DURATION_BUCKETS },
  );
  const onStart = (message: unknown): void => {
    const { request, server } = message as ServerMessage;
    if (!isOwnServer(server)) request[START] = performance.now();
  };
  const onFinish = (message: unknown): void => {
    const { request, response } = message as ServerMessage;
    const start = request[START];
    if (start === undefined) return; // our own server, or started before we subscribed
    const method = request.method !== undefined && KNOWN_METHODS.has(request.method) ? request.method : '_OTHER';
    duration
      .labels(method, routeOf(request), response.statusCode)
      .observe((performance.now() - start) / 1000);
  };
  const onFastifyRoute = (message: unknown): void => {
    const { request, route } = message as FastifyHandlerStart;
    if (request?.raw && typeof route?.url === 'string') request.raw[ROUTE] = route.url;
  };
  subscribe('http.server.request.start', onStart);
  subscribe('http.server.response.finish', onFinish);
  subscribe(FASTIFY_HANDLER_START, onFastifyRoute);
  return () => {
    unsubscribe('http.server.request.start', onStart);
    unsubscribe('http.server.response.finish', onFinish);
    unsubscribe(FASTIFY_HANDLER_START, onFastifyRoute);
  };
}
