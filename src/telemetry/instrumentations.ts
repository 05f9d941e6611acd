// Starts the selected instrumentations: the ESM loader hook, then the eager ones now and the
// lazy ones when the app first loads their library (see lazy-activation.ts).

import type { IncomingMessage } from 'node:http';
import { selectInstrumentations } from './selection.ts';
import { instantiate } from './instantiate.ts';
import { activateOnFirstLoad, canHookResolution, splitEagerLazy } from './lazy-activation.ts';
import { registerEsmLoader } from './esm-loader.ts';
import { installRequireHook } from './require-hook-anchor.ts';
import { canEnterContext } from './context-entry.ts';
import { traceHttpServer } from './http-server-spans.ts';
import { load } from './load.ts';
import type { Env, Warn } from './env.ts';

export interface InstrumentationOptions {
  env: Env;
  warn: Warn;
  isOwnRequest: (req: IncomingMessage) => boolean;
}

/** Returns a function that stops activating lazy instrumentations (those started stay). */
export function startInstrumentations(options: InstrumentationOptions): () => void {
  const { warn } = options;
  const selected = selectInstrumentations(options.env, warn);
  if (selected.length === 0) return () => {};
  const context = { isOwnRequest: options.isOwnRequest, serverSpansFromChannel: canEnterContext() };

  // The ESM loader first: resolve hooks run last-registered-first, so the activation hook
  // below sees a specifier before import-in-the-middle decides whether to wrap it.
  const esm = registerEsmLoader([...new Set(selected.flatMap((e) => e.modules))], warn);
  // With the loader on its own thread (Node 22 before 22.22.3), in-thread resolve hooks may
  // not see ES imports in time: start everything now instead.
  const { eager, lazy } = splitEagerLazy(selected, canHookResolution() && esm !== 'async');
  installRequireHook();
  for (const entry of eager) {
    const instrumentation = instantiate(entry, context, warn);
    if (entry.name === 'http' && instrumentation && context.serverSpansFromChannel) {
      // Same tracer (scope name and version) the instrumentation's own server spans had.
      const { trace } = load('@opentelemetry/api') as typeof import('@opentelemetry/api');
      const tracer = trace.getTracer(instrumentation.instrumentationName, instrumentation.instrumentationVersion);
      traceHttpServer(tracer, options.isOwnRequest);
    }
  }
  return activateOnFirstLoad(lazy, (entry) => void instantiate(entry, context, warn));
}
