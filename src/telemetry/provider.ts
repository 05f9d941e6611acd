// Registers the global context manager, propagator and (when spans are exported) the tracer
// provider: what NodeSDK.start() does for traces, without loading NodeSDK.

import type * as Api from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { load } from './load.ts';
import { buildResource, type ResourceInput } from './resource.ts';
import { createSampler } from './sampler.ts';
import { createPropagator } from './propagator.ts';
import { useContextStorage } from './context-entry.ts';

export interface Flushable {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Returns the tracer provider, or undefined when there are no processors (no spans recorded). */
export function startTracing(processors: SpanProcessor[], resource: ResourceInput): Flushable | undefined {
  const { env, warn } = resource;
  const api = load('@opentelemetry/api') as typeof Api;
  const { AsyncLocalStorageContextManager } = load('@opentelemetry/context-async-hooks') as
    typeof import('@opentelemetry/context-async-hooks');
  // Without a context manager every span is a root span: trace ids would not carry across awaits.
  const manager = new AsyncLocalStorageContextManager().enable();
  // Only if ours is the global one: another manager's contexts would not be seen by the API.
  if (api.context.setGlobalContextManager(manager)) useContextStorage(manager);
  const propagator = createPropagator(env, warn);
  if (propagator) api.propagation.setGlobalPropagator(propagator);
  if (processors.length === 0) return undefined;

  const { TracerProvider } = load('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const provider = new TracerProvider({ resource: buildResource(resource), sampler: createSampler(env, warn), spanProcessors: processors });
  api.trace.setGlobalTracerProvider(provider);
  return provider;
}
