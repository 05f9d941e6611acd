// One view of incoming HTTP, shared by everything that cares about the app's requests:
// RED metrics, server spans and shutdown. node:http publishes every request on the
// diagnostics channels 'http.server.request.start' (synchronously, just before
// server.emit('request')) and 'http.server.response.finish'. One subscription each here
// decides once per request what the parts would otherwise each decide again:
//
// - whose traffic it is: the SDK's own (its built-in server, or an endpoint answered by
//   healthRouter on the app's server) is neither counted nor traced;
// - which servers are the app's, so shutdown can drain them (Connection: close on every
//   response from the drain on, idle keep-alive connections closed, in-flight ones finish);
// - the method, normalised the same way for metrics and spans.
//
// The instance belongs to one running SDK and is stopped by its shutdown.

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { withDeadline } from '../deadline.ts';

const REQUEST_START = 'http.server.request.start';
const RESPONSE_FINISH = 'http.server.response.finish';

/** How long closeAppServers lets connections end by themselves before closing idle ones. */
const IDLE_SETTLE_MS = 250;

/** Set on a request that an SDK endpoint answered (built-in server or healthRouter). */
const OWN = Symbol('wizamart.ownRequest');

interface StartMessage {
  request: IncomingMessage;
  response: ServerResponse;
  server: Server;
}

export interface IncomingListener {
  /** An app request begins; runs synchronously just before the app's handler. */
  start?(request: IncomingMessage, response: ServerResponse): void;
  /** A request to the SDK's own server begins (probes, scrapes). */
  startOwn?(request: IncomingMessage, response: ServerResponse): void;
  /** An app request's response was sent (requests answered by healthRouter excluded). */
  finish?(request: IncomingMessage, response: ServerResponse): void;
}

export interface IncomingHttp {
  /** The SDK's built-in server, once it listens: its requests are its own traffic. */
  setOwnServer(server: Server | undefined): void;
  isOwnServer(server: unknown): boolean;
  add(listener: IncomingListener): void;
  /**
   * From now on every app response says `Connection: close` (keep-alive clients reconnect,
   * and Kubernetes sends new connections elsewhere). Idle connections are closed by
   * closeAppServers() at the end of the drain: closing them now would race clients that
   * are about to reuse them (ECONNRESET), while a response that says close cannot.
   */
  drain(): void;
  /** Stops the app's servers accepting; waits at most `ms` for in-flight requests, then closes what is left. */
  closeAppServers(ms: number): Promise<void>;
  /** Unsubscribes everything this instance subscribed. */
  stop(): void;
}

/** Methods kept as they are; anything else becomes `_OTHER` (semconv), so a client cannot explode cardinality. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

export function normalizeMethod(method: string | undefined): string {
  if (method === undefined) return 'GET';
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** Called by the endpoint handler: this request is the SDK's, not the app's. */
export function markOwnRequest(request: IncomingMessage): void {
  (request as IncomingMessage & { [OWN]?: true })[OWN] = true;
}

export function isOwnRequest(request: IncomingMessage): boolean {
  return (request as IncomingMessage & { [OWN]?: true })[OWN] === true;
}

export function createIncomingHttp(): IncomingHttp {
  let ownServer: Server | undefined;
  let draining = false;
  const sayConnectionClose = (message: unknown): void => {
    const { response, server } = message as StartMessage;
    if (server !== ownServer) response.shouldKeepAlive = false;
  };
  const appServers = new Set<Server>();
  const starts: Array<NonNullable<IncomingListener['start']>> = [];
  const ownStarts: Array<NonNullable<IncomingListener['startOwn']>> = [];
  const finishes: Array<NonNullable<IncomingListener['finish']>> = [];

  const onStart = (message: unknown): void => {
    const { request, response, server } = message as StartMessage;
    if (server === ownServer) {
      markOwnRequest(request);
      for (const start of ownStarts) start(request, response);
      return;
    }
    appServers.add(server);
    for (const start of starts) start(request, response);
  };
  const onFinish = (message: unknown): void => {
    const { request, response } = message as StartMessage;
    if (isOwnRequest(request)) return;
    for (const finish of finishes) finish(request, response);
  };
  subscribe(REQUEST_START, onStart);
  subscribe(RESPONSE_FINISH, onFinish);

  const listening = () => [...appServers].filter((server) => server.listening);
  return {
    setOwnServer(server) {
      ownServer = server;
    },
    isOwnServer: (server) => server !== undefined && server === ownServer,
    add(listener) {
      if (listener.start) starts.push(listener.start);
      if (listener.startOwn) ownStarts.push(listener.startOwn);
      if (listener.finish) finishes.push(listener.finish);
    },
    drain() {
      if (draining) return;
      draining = true;
      // Its own subscription, which stop() leaves in place: a drain is one-way for the
      // process. An app that handles SIGTERM itself may serve on after the SDK has shut
      // down, and a keep-alive response then would invite a request that its close() resets.
      subscribe(REQUEST_START, sayConnectionClose);
    },
    async closeAppServers(ms) {
      const servers = listening();
      if (servers.length === 0) return;
      // Stop accepting, but not through http.Server#close(): it also destroys every
      // connection without a request in progress, including one accepted a moment ago
      // whose client has already written its request (ECONNRESET for that client). Every
      // response already says Connection: close, so busy connections end by themselves;
      // what is still open after a short wait is a quiet keep-alive client, closed then.
      const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => {
        NetServer.prototype.close.call(server, () => resolve());
      }))).then(() => true);
      const settleMs = Math.min(IDLE_SETTLE_MS, ms / 2);
      if (await withDeadline(closed, settleMs, () => false)) return;
      for (const server of servers) server.closeIdleConnections();
      await withDeadline(closed, ms - settleMs, () => {
        for (const server of servers) server.closeAllConnections();
        return true;
      });
    },
    stop() {
      unsubscribe(REQUEST_START, onStart);
      unsubscribe(RESPONSE_FINISH, onFinish);
      starts.length = 0;
      ownStarts.length = 0;
      finishes.length = 0;
      appServers.clear();
    },
  };
}
