// Export deadline — every OTLP/HTTP export request ends by an absolute deadline.
//
// The OTLP exporter bounds a request with req.setTimeout, an idle timer: a receiver that
// answers 200 and then trickles a byte a second resets it forever. Measured under load,
// 30 exports stuck open, then "Concurrent export limit reached" and every later span
// dropped for the life of the process, and a process that had shut down never exited.
// The exporter builds its requests internally, so the deadline is armed from node:http's
// own diagnostics channel for the requests that go to the target's URL: destroyed at the
// deadline with ETIMEDOUT, the request fails like any network error (the exporter warns
// once, frees its slot, and later batches are tried again).

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

const REQUEST_STARTS = 'http.client.request.start';

/** Arms a deadline on each request to `url` until the returned function is called. */
export function boundRequestsTo(url: string, deadlineMs: number): () => void {
  const target = comparable(new URL(url));
  const onStart = (message: unknown): void => {
    const request = (message as { request?: ClientRequest }).request;
    if (!request || requestUrl(request) !== target) return;
    const timer = setTimeout(() => {
      request.destroy(Object.assign(new Error(`no complete answer within ${deadlineMs} ms`), { code: 'ETIMEDOUT' }));
    }, deadlineMs);
    // The request holds the process open while it lives; the deadline itself never does.
    timer.unref();
    request.once('close', () => clearTimeout(timer));
  };
  subscribe(REQUEST_STARTS, onStart);
  return () => { unsubscribe(REQUEST_STARTS, onStart); };
}

function requestUrl(request: ClientRequest): string {
  const host = request.getHeader('host');
  return `${request.protocol}//${typeof host === 'string' ? host : request.host}${request.path}`;
}

function comparable(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search}`;
}
