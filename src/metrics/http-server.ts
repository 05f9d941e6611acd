// Zero-code RED metrics for incoming HTTP. The incoming-request view (src/http/incoming.ts)
// tells when an app request starts and finishes; this keeps a timestamp on the request and
// makes one bound histogram observation at finish: no patching and no per-request span.

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { IncomingHttp } from '../http/incoming.ts';
import { normalizeMethod } from '../http/incoming.ts';
import { routeOf, setRoute } from '../http/route.ts';
import type { MetricsRegistry } from './registry.ts';

export const HTTP_SERVER_DURATION = 'http_server_request_duration_seconds';

/** OTel semantic-convention advice for http.server.request.duration, in seconds. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const START = Symbol('wizamart.metrics.requestStart');

/** Fastify 5 publishes the matched route here before running the handler; `request.raw` is node's request. */
const FASTIFY_HANDLER_START = 'tracing:fastify.request.handler:start';

interface FastifyHandlerStart {
  request?: { raw?: IncomingMessage };
  route?: { url?: unknown };
}

type Timed = IncomingMessage & { [START]?: number };

/** Starts recording; returns the function that stops what is not stopped with `incoming`. */
export function recordHttpServerMetrics(registry: MetricsRegistry, incoming: IncomingHttp): () => void {
  const duration = registry.histogram(
    HTTP_SERVER_DURATION,
    'Duration of HTTP server requests',
    ['http_request_method', 'http_route', 'http_response_status_code'],
    { buckets: HTTP_DURATION_BUCKETS },
  );
  let on = true;
  incoming.add({
    start(request) {
      if (on) (request as Timed)[START] = performance.now();
    },
    finish(request, response) {
      const start = (request as Timed)[START];
      if (start === undefined || !on) return; // started before we subscribed, or stopped since
      duration
        .labels(normalizeMethod(request.method), routeOf(request), response.statusCode)
        .observe((performance.now() - start) / 1000);
    },
  });
  const onFastifyRoute = (message: unknown): void => {
    const { request, route } = message as FastifyHandlerStart;
    if (request?.raw && typeof route?.url === 'string') setRoute(request.raw, route.url);
  };
  subscribe(FASTIFY_HANDLER_START, onFastifyRoute);
  return () => {
    on = false;
    unsubscribe(FASTIFY_HANDLER_START, onFastifyRoute);
  };
}
