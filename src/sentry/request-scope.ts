// Sentry events that know their request. Sentry's Http integration (dropped for its cost:
// 0.3x of hello-world throughput) forked a scope per request and read the request on every
// one. Here a request costs one AsyncLocalStorage entry; everything else happens when an
// event is captured: the request block (method, URL, filtered query string, a short list
// of harmless headers), `transaction` = `METHOD /route`, the route as a tag, and whatever
// the app set for this request (user, tags, contexts, breadcrumbs) through the facade.
//
// The store is entered from the incoming-request view's start (just before the app's
// handler). Body and response events come from socket callbacks that began before the
// request, so the request and response emit() run inside the store too: a handler that
// runs after a body parser still finds its request.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import type { Scope } from '@sentry/node';
import { scrubQueryString } from './request-data.ts';
import { normalizeMethod, type IncomingListener } from '../http/incoming.ts';
import { routeOf } from '../http/route.ts';

export interface RequestScope {
  readonly request: IncomingMessage;
  /** What the app set during this request; created on the first such call. */
  data: Scope | undefined;
}

/** Request headers an event may carry: they help debugging and never hold credentials. */
const SHOWN_HEADERS = ['host', 'user-agent', 'accept', 'accept-language', 'content-type', 'content-length', 'referer', 'x-request-id'];

type Emit = (...args: unknown[]) => boolean;

export class RequestScopes {
  readonly #storage = new AsyncLocalStorage<RequestScope>();

  /** The incoming-request listener that gives each app request its store. */
  readonly listener: IncomingListener = {
    start: (request, response) => {
      const store: RequestScope = { request, data: undefined };
      this.#storage.enterWith(store);
      for (const emitter of [request, response]) {
        const emit = emitter.emit as Emit;
        const storage = this.#storage;
        emitter.emit = function (this: unknown, ...args: unknown[]): boolean {
          return storage.run(store, () => emit.apply(this, args));
        } as typeof emitter.emit;
      }
    },
  };

  /** The request being handled, if any. */
  current(): RequestScope | undefined {
    return this.#storage.getStore();
  }
}

/**
 * Copies the request onto the scope an event is captured with. What the scope already has
 * wins (set in a withScope() callback); the request's data wins over process-wide data,
 * which lives on Sentry's isolation scope and is applied after this one.
 */
export function applyRequest(scope: Scope, { request, data }: RequestScope): void {
  const method = normalizeMethod(request.method);
  const [path = '/', query = ''] = (request.url ?? '/').split('?', 2);
  const encrypted = (request.socket as { encrypted?: boolean } | null)?.encrypted === true;
  const headers: Record<string, string> = {};
  for (const name of SHOWN_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  scope.setSDKProcessingMetadata({
    normalizedRequest: {
      method,
      url: `${encrypted ? 'https' : 'http'}://${headers.host ?? 'localhost'}${path}`,
      query_string: scrubQueryString(query),
      headers,
    },
  });
  const route = routeOf(request);
  if (route) {
    scope.setTransactionName(`${method} ${route}`);
    scope.setTag('route', route);
  }
  if (!data) return;
  const own = scope.getScopeData();
  const requestData = data.getScopeData();
  scope.setTags({ ...requestData.tags, ...own.tags });
  if (Object.keys(own.user).length === 0 && Object.keys(requestData.user).length > 0) scope.setUser(requestData.user);
  for (const [name, context] of Object.entries(requestData.contexts)) {
    if (!(name in own.contexts) && context) scope.setContext(name, context);
  }
  for (const breadcrumb of requestData.breadcrumbs) scope.addBreadcrumb(breadcrumb);
}
