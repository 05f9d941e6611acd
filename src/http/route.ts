// The route template of a request (`/users/:id`), for the http_route label and for spans'
// http.route. Never a raw path: that would be one series per user. Where it comes from,
// best first: what a framework instrumentation recorded on the request's server span
// (express, koa, hapi, nest… when tracing is on), what fastify publishes on its own
// diagnostics channel, what express leaves on the request; else "" (unknown: Prometheus
// treats "" as an absent label, as semconv asks).

import type { IncomingMessage } from 'node:http';
import { type ExpressRequest, expressRoute } from './express-route.ts';

const ROUTE = Symbol('wizamart.route');

/** What framework instrumentations fill in on the server span's RPCMetadata. */
export interface RouteSource {
  route?: string;
}

type Routed = IncomingMessage & ExpressRequest & { [ROUTE]?: string | RouteSource };

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
  // Express: from the templates of the routers the request went through (never req.baseUrl,
  // which is the matched, raw, path).
  return r.route === undefined ? '' : expressRoute(r);
}
