// The tracer side of OpenTelemetry, registered globally: context manager, propagator,
// sampler and (when spans are exported) the tracer provider. What NodeSDK.start() does for
// traces, without loading NodeSDK (its index loads every exporter).

import type * as Api from '@opentelemetry/api';
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, ContextManager, TextMapPropagator } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace';
import { load } from './load.ts';
import { readList, readString, type Env, type Warn } from './env.ts';

export interface Flushable {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface Tracing {
  /** The tracer provider; undefined when there are no processors (no spans recorded). */
  provider: Flushable | undefined;
  /** Entering contexts from a diagnostics-channel subscriber; undefined if ours is not the global manager. */
  contextEntry: ContextEntry | undefined;
}

export function startTracing(processors: SpanProcessor[], resource: Resource | undefined, env: Env, warn: Warn): Tracing {
  const api = load('@opentelemetry/api') as typeof Api;
  const { AsyncLocalStorageContextManager } = load('@opentelemetry/context-async-hooks') as
    typeof import('@opentelemetry/context-async-hooks');
  // Without a context manager every span is a root span: trace ids would not carry across awaits.
  const manager = new AsyncLocalStorageContextManager().enable();
  // Only if ours is the global one: another manager's contexts would not be seen by the API.
  const contextEntry = api.context.setGlobalContextManager(manager) ? createContextEntry(manager) : undefined;
  const propagator = createPropagator(env, warn);
  if (propagator) api.propagation.setGlobalPropagator(propagator);
  if (processors.length === 0) return { provider: undefined, contextEntry };

  const { TracerProvider } = load('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const provider = new TracerProvider({ resource, sampler: createSampler(env, warn), spanProcessors: processors });
  api.trace.setGlobalTracerProvider(provider);
  return { provider, contextEntry };
}

// Sampler — OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, as the spec names them. Default (unset):
// parentbased_always_on, which is also TracerProvider's own default.

const NAMES = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

export function createSampler(env: Env, warn: Warn): Sampler | undefined {
  const name = readString(env, 'OTEL_TRACES_SAMPLER');
  if (name === undefined) return undefined;
  if (!NAMES.includes(name)) {
    warn('OBS_OTEL_ENV', `OTEL_TRACES_SAMPLER=${JSON.stringify(name)} is not one of ${NAMES.join(', ')}; using parentbased_always_on`);
    return undefined;
  }
  const { AlwaysOnSampler, AlwaysOffSampler, TraceIdRatioBasedSampler, ParentBasedSampler } =
    load('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const base = name.replace('parentbased_', '');
  const root = base === 'always_on' ? new AlwaysOnSampler()
    : base === 'always_off' ? new AlwaysOffSampler()
    : new TraceIdRatioBasedSampler(readRatio(env, warn));
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

function readRatio(env: Env, warn: Warn): number {
  const raw = readString(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (raw === undefined) return 1;
  const ratio = Number(raw);
  if (Number.isFinite(ratio) && ratio >= 0 && ratio <= 1) return ratio;
  warn('OBS_OTEL_ENV', `OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(raw)} is not a number in [0, 1]; using 1`);
  return 1;
}

// Propagator — W3C trace context and baggage unless OTEL_PROPAGATORS says otherwise
// ('none' turns it off). b3/jaeger/xray need packages this SDK does not ship: warned, skipped.

export function createPropagator(env: Env, warn: Warn): TextMapPropagator | undefined {
  const { CompositePropagator, W3CTraceContextPropagator, W3CBaggagePropagator } =
    load('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const names = readList(env, 'OTEL_PROPAGATORS') ?? ['tracecontext', 'baggage'];
  if (names.includes('none')) return undefined;
  const propagators: TextMapPropagator[] = [];
  const unsupported: string[] = [];
  for (const name of new Set(names)) {
    if (name === 'tracecontext') propagators.push(new W3CTraceContextPropagator());
    else if (name === 'baggage') propagators.push(new W3CBaggagePropagator());
    else unsupported.push(name);
  }
  if (unsupported.length > 0) warn('OBS_OTEL_ENV', `OTEL_PROPAGATORS: unsupported propagator(s) ${unsupported.join(', ')} ignored; supported: tracecontext, baggage, none`);
  return new CompositePropagator({ propagators });
}

// Context entry: makes an OpenTelemetry context active for the rest of the current
// synchronous execution and everything it schedules (AsyncLocalStorage.enterWith). The OTel
// API only offers context.with(ctx, fn), which needs a function around the code to run; a
// diagnostics channel subscriber (server-spans.ts) runs *before* the request handler, not
// around it, so it has to enter the context instead.

export interface ContextEntry {
  enter(context: Context): void;
  isActive(context: Context): boolean;
  /** Calls `fn` on `self` with `args` and `context` active. */
  apply<T>(context: Context, fn: (...args: unknown[]) => T, self: unknown, args: unknown[]): T;
}

/**
 * Built on the AsyncLocalStorage behind the global context manager. `_asyncLocalStorage` is
 * private in the typings but a plain field of AsyncLocalStorageContextManager (3.x); if it
 * is ever missing this returns undefined and the http instrumentation keeps tracing
 * incoming requests the patching way.
 */
function createContextEntry(manager: ContextManager): ContextEntry | undefined {
  const storage = (manager as unknown as { _asyncLocalStorage?: AsyncLocalStorage<Context> })._asyncLocalStorage;
  if (typeof storage?.enterWith !== 'function' || typeof storage.run !== 'function') return undefined;
  return {
    enter: (context) => storage.enterWith(context),
    isActive: (context) => storage.getStore() === context,
    apply: (context, fn, self, args) => storage.run(context, Reflect.apply, fn, self, args) as ReturnType<typeof fn>,
  };
}
