// The route template of a request (`/users/:id`), for the http_route label and for spans'
// http.route. Never a raw path: that would be one series per user. Where it comes from,
// best first: what a framework instrumentation recorded on the request's server span
// (express, koa, hapi, nest… when tracing is on), what fastify publishes on its own
// diagnostics channel, what express leaves on the request; else "" (unknown: Prometheus
// treats "" as an absent label, as semconv asks).

import type { IncomingMessage } from 'node:http';

const ROUTE = Symbol('wizamart.route');

/** What framework instrumentations fill in on the server span's RPCMetadata. */
export interface RouteSource {
  route?: string;
}

type Routed = IncomingMessage & { [ROUTE]?: string | RouteSource; route?: { path?: unknown }; baseUrl?: unknown };

/** Remembers where this request's route will be found (the server span's RPCMetadata). */
export function setRouteSource(request: IncomingMessage, source: RouteSource): void {
  (request as Routed)[ROUTE] = source;
}

/** Records a route a framework announced (fastify's handler-start channel). */
export function setRoute(request: IncomingMessage, route: string): void {
  (request as Routed)[ROUTE] = route;
}

export function routeOf(request: IncomingMessage): string {
  const r = request as Routed;
  const known = r[ROUTE];
  if (typeof known === 'string') return known;
  if (known?.route !== undefined) return known.route;
  const path = r.route?.path;
  if (path === undefined) return '';
  // Express (4 and 5): the mounted router's baseUrl + the matched layer's path.
  return `${typeof r.baseUrl === 'string' ? r.baseUrl : ''}${typeof path === 'string' ? path : String(path)}`;
}
