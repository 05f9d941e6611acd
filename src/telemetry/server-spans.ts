// SERVER spans for node:http/https started by the incoming-request view (src/http/incoming.ts), which hears
// the diagnostics channel 'http.server.request.start' (Node >= 22.15 and 24 publish it
// synchronously just before server.emit('request')),
// instead of the http instrumentation's Server.prototype.emit patch. Why: that patch costs
// ~14 us per request even unsampled: it parses every URL with new URL() and wraps request
// and response with the context manager's bindEventEmitter (eight methods replaced per
// emitter, a closure and WeakMap entry per listener). This does the same job with one
// override of emit() per emitter and the attributes computed without a URL parse in the
// common case (bench/http-throughput.ts: traces to OTLP 0.36x -> ~0.5x of bare).
//
// Same spans as the instrumentation: scope @opentelemetry/instrumentation-http, name
// `GET` then `GET /route`, the stable-semconv attributes of its getIncomingRequestAttributes,
// RPCMetadata in the context so the express (and other framework) instrumentations fill in
// the route, ended on the response's 'close' (or 'error', recorded) like the original.
// A request answered by healthRouter on the app's server is the SDK's own traffic: its span
// is never ended, so it is never exported (an unended span is only garbage).
// Not kept: a handler that throws synchronously no longer ends the span with that error
// (the instrumentation caught and rethrew it); the span ends when the response closes.


import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { RPCMetadata } from '@opentelemetry/core';
import type { IncomingListener } from '../http/incoming.ts';
import { isOwnRequest } from '../http/incoming.ts';
import { setRouteSource } from '../http/route.ts';
import { load } from './load.ts';
import type { ContextEntry } from './provider.ts';
import { requestAttributes } from './server-span-attributes.ts';

type Api = typeof import('@opentelemetry/api');
type Core = typeof import('@opentelemetry/core');
type Emit = (...args: unknown[]) => boolean;

const SERVER = 1; // SpanKind.SERVER
const STATUS_ERROR = 2; // SpanStatusCode.ERROR

/** SERVER spans for the app's incoming requests, as a listener of the incoming-request view. */
export function serverSpans(tracer: Tracer, entry: ContextEntry): IncomingListener {
  const api = load('@opentelemetry/api') as Api;
  const { RPCType, setRPCMetadata, suppressTracing } = load('@opentelemetry/core') as Core;
  const root = api.ROOT_CONTEXT;
  // The SDK's own server (probes, /metrics): nothing in its handlers makes spans.
  const suppressed = suppressTracing(root);

  return {
    startOwn() {
      entry.enter(suppressed);
    },
    start(request, response) {
      const parent = api.propagation.extract(root, request.headers);
      // The attributes are computed only for a span that records. The samplers this SDK
      // builds (always_on/off, traceidratio, parentbased_*) never read them, and given to
      // startSpan they were computed and validated for every request, then dropped for the
      // unsampled ones: measured, about half of an unsampled request's span cost.
      const span = tracer.startSpan(request.method || 'GET', { kind: SERVER }, parent);
      if (span.isRecording()) span.setAttributes(requestAttributes(request));
      const rpc: RPCMetadata = { type: RPCType.HTTP, span };
      // Framework instrumentations fill in rpc.route; RED metrics read it from there too.
      setRouteSource(request, rpc);
      const context = setRPCMetadata(api.trace.setSpan(parent, span), rpc);
      // The handler runs right after this returns, in the same synchronous execution: it and
      // everything it schedules see the span. The next request's start enters its own.
      entry.enter(context);
      bindEmit(entry, request, context, undefined);
      bindEmit(entry, response, context, (event, error) => {
        if (event === 'close') end(span, request, response, rpc);
        else if (event === 'error') fail(span, request, error);
        else return false;
        return true;
      });
    },
  };
}

/**
 * Every listener of the emitter runs with `context` active, whoever added it and whatever
 * emits (body 'data'/'end' come from the parser, 'finish'/'close' from socket callbacks):
 * what bindEventEmitter gave callback-style code such as body parsers and on-finished.
 * `last` sees each event (and its first argument) first; it returns true once the span is ended.
 */
function bindEmit(entry: ContextEntry, emitter: IncomingMessage | ServerResponse, context: Context, last: ((event: unknown, first: unknown) => boolean) | undefined): void {
  const emit = emitter.emit as Emit;
  let done = last === undefined;
  emitter.emit = function (this: unknown, ...args: unknown[]): boolean {
    if (!done) done = last!(args[0], args[1]);
    // Already active, or nobody listens (node emits 'readable' and 'end' on every request
    // body it discards): no new scope, which costs a context frame per emit.
    if (entry.isActive(context) || emitter.listenerCount(args[0] as string | symbol) === 0) return Reflect.apply(emit, this, args) as boolean;
    return entry.apply(context, emit, this, args);
  } as typeof emitter.emit;
}

function end(span: Span, request: IncomingMessage, response: ServerResponse, rpc: RPCMetadata): void {
  if (isOwnRequest(request)) return;
  const status = response.statusCode;
  span.setAttribute('http.response.status_code', status);
  if (rpc.route !== undefined) {
    span.setAttribute('http.route', rpc.route);
    span.updateName(`${request.method || 'GET'} ${rpc.route}`);
  }
  // Semconv for servers: 5xx (and nonsense codes) are errors, 4xx are the client's.
  if (!(status >= 100 && status < 500)) span.setStatus({ code: STATUS_ERROR });
  if (status >= 500 && status < 600) span.setAttribute('error.type', String(status));
  span.end();
}

function fail(span: Span, request: IncomingMessage, error: unknown): void {
  if (isOwnRequest(request)) return;
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  span.setAttribute('error.type', name);
  span.setStatus({ code: STATUS_ERROR, message });
  span.recordException(error instanceof Error ? error : message);
  span.end();
}
