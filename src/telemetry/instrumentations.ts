// The auto-instrumentations: which run (selection), how each is constructed and
// configured, and when it starts. The ESM loader hook first, then the eager ones now and
// the lazy ones when the app first loads their library (module-hooks.ts).
// Incoming HTTP is traced by server-spans.ts, not by the http instrumentation's patch.

import type { IncomingMessage } from 'node:http';
import type { MeterProvider } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { IncomingListener } from '../http/incoming.ts';
import { isOwnRequest } from '../http/incoming.ts';
import { CATALOG, packageOf, type CatalogEntry } from './catalog.ts';
import { readList, type Env, type Warn } from './env.ts';
import { load } from './load.ts';
import { activateOnFirstLoad, canHookResolution, installRequireHook, registerEsmLoader, splitEagerLazy } from './module-hooks.ts';
import type { ContextEntry } from './provider.ts';
import { serverSpans } from './server-spans.ts';

export interface Instrumentations {
  /** SERVER spans for the app's requests, for each running instance's incoming-request view. */
  serverSpans: IncomingListener | undefined;
  /** Stops activating lazy instrumentations (those started stay: OTel cannot unpatch cleanly). */
  stop(): void;
}

export function startInstrumentations(env: Env, warn: Warn, contextEntry: ContextEntry | undefined): Instrumentations {
  const selected = selectInstrumentations(env, warn);
  if (selected.length === 0) return { serverSpans: undefined, stop: () => {} };
  const context: InstrumentationContext = { serverSpansFromChannel: contextEntry !== undefined, meterProvider: createNoopMeterProvider() };

  // The ESM loader first: resolve hooks run last-registered-first, so the activation hook
  // below sees a specifier before import-in-the-middle decides whether to wrap it.
  const esm = registerEsmLoader([...new Set(selected.flatMap((e) => e.modules))], warn);
  // With the loader on its own thread (Node 22 before 22.22.3), in-thread resolve hooks may
  // not see ES imports in time: start everything now instead.
  const { eager, lazy } = splitEagerLazy(selected, canHookResolution() && esm !== 'async');
  installRequireHook();
  let spans: IncomingListener | undefined;
  for (const entry of eager) {
    const instrumentation = instantiate(entry, context, warn);
    if (entry.name === 'http' && instrumentation && contextEntry) {
      // Same tracer (scope name and version) the instrumentation's own server spans had.
      const { trace } = load('@opentelemetry/api') as typeof import('@opentelemetry/api');
      spans = serverSpans(trace.getTracer(instrumentation.instrumentationName, instrumentation.instrumentationVersion), contextEntry);
    }
  }
  return { serverSpans: spans, stop: activateOnFirstLoad(lazy, (entry) => void instantiate(entry, context, warn)) };
}

// Selection — which catalog entries run, by the rules of the stock auto-instrumentations: if
// OTEL_NODE_ENABLED_INSTRUMENTATIONS is set only those (default-off ones included), else
// every default-on one; then OTEL_NODE_DISABLED_INSTRUMENTATIONS removes names. Unknown
// names in either list give one warning naming them; they are ignored.

const PREFIX = '@opentelemetry/instrumentation-';

export function selectInstrumentations(env: Env, warn: Warn, catalog: readonly CatalogEntry[] = CATALOG): CatalogEntry[] {
  const known = new Set(catalog.map((e) => e.name));
  const unknown = new Map<string, string[]>();
  const read = (variable: string): Set<string> | undefined => {
    const names = readList(env, variable);
    if (names === undefined) return undefined;
    // Full package names are accepted too: people copy them from the OTel docs.
    const short = names.map((n) => (n.startsWith(PREFIX) ? n.slice(PREFIX.length) : n));
    const bad = short.filter((name) => !known.has(name));
    if (bad.length > 0) unknown.set(variable, bad);
    return new Set(short);
  };
  const enabled = read('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const disabled = read('OTEL_NODE_DISABLED_INSTRUMENTATIONS');
  if (unknown.size > 0) {
    const named = [...unknown].map(([variable, names]) => `${names.join(', ')} in ${variable}`).join('; ');
    warn('OBS_OTEL_ENV', `unknown instrumentation name(s) ignored: ${named}; known: ${[...known].join(', ')}`);
  }
  return catalog.filter((e) => (enabled ? enabled.has(e.name) : e.defaultOn) && !disabled?.has(e.name));
}

// Instantiation — constructs and enables one instrumentation from its own package (never through the
// auto-instrumentations-node index, which loads all of them: ~105 ms here).

type InstrumentationClass = new (config: Record<string, unknown>) => Instrumentation;

/**
 * Instrumentations record their own metrics (http.server.request.duration, …) on the
 * global meter provider. This package records RED metrics itself, so they get a no-op one.
 */
function createNoopMeterProvider(): MeterProvider {
  const { createNoopMeter } = load('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const meter = createNoopMeter();
  return { getMeter: () => meter };
}

export function instantiate(entry: CatalogEntry, context: InstrumentationContext, warn: Warn): Instrumentation | undefined {
  const pkg = packageOf(entry);
  let Class: InstrumentationClass | undefined;
  try {
    Class = (load(pkg) as Record<string, InstrumentationClass | undefined>)[entry.className];
  } catch {
    warn('OBS_PACKAGE_MISSING', `instrumentation ${entry.name} needs ${pkg}, which is not installed; ${entry.modules.join(', ') || entry.name} not traced`);
    return undefined;
  }
  if (typeof Class !== 'function') {
    warn('OBS_INSTRUMENTATION_FAILED', `${pkg} does not export ${entry.className}; ${entry.name} not traced`);
    return undefined;
  }
  try {
    // Constructed disabled so the no-op meter provider is in place before it patches anything;
    // then the config is set again without `enabled: false`, which some (undici) read per request.
    const config = configFor(entry, context);
    const instrumentation = new Class({ ...config, enabled: false });
    instrumentation.setMeterProvider(context.meterProvider);
    instrumentation.setConfig(config);
    instrumentation.enable();
    return instrumentation;
  } catch (error) {
    warn('OBS_INSTRUMENTATION_FAILED', `instrumentation ${entry.name} failed to start (${(error as Error).message}); not traced`);
    return undefined;
  }
}

// Configuration — per-instrumentation settings that differ from the package defaults, and why.

export interface InstrumentationContext {
  /** SERVER spans come from server-spans.ts (diagnostics channel), not from patching. */
  serverSpansFromChannel: boolean;
  /** Instrumentations' own metrics go nowhere: RED metrics are recorded by this package. */
  meterProvider: MeterProvider;
}

export function configFor(entry: CatalogEntry, context: InstrumentationContext): Record<string, unknown> {
  switch (entry.name) {
    case 'http':
      // Outgoing requests stay with the instrumentation (CLIENT spans, context injection).
      if (context.serverSpansFromChannel) return { disableIncomingRequestInstrumentation: true };
      return {
        // The SDK's own server (probes, /metrics) is not the app's traffic.
        // (the incoming-request view has marked them before the server emits 'request').
        ignoreIncomingRequestHook: (req: IncomingMessage) => isOwnRequest(req),
      };
    case 'pino':
    case 'winston':
    case 'bunyan':
      // Keep trace ids in log lines, but don't turn logs into OTel log records: no logger
      // provider is installed here, and shipping logs is not this package's job.
      return { disableLogSending: true };
    default:
      return {};
  }
}
