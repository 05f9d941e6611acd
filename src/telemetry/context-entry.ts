// Makes an OpenTelemetry context active for the rest of the current synchronous execution
// and everything it schedules (AsyncLocalStorage.enterWith). The OTel API only offers
// context.with(ctx, fn), which needs a function around the code to run; a diagnostics
// channel subscriber (http-server-spans.ts) runs *before* the request handler, not around
// it, so it has to enter the context instead.

import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, ContextManager } from '@opentelemetry/api';

let storage: AsyncLocalStorage<Context> | undefined;

/**
 * Remembers the AsyncLocalStorage behind the context manager that was made global.
 * `_asyncLocalStorage` is private in the typings but a plain field of
 * AsyncLocalStorageContextManager (3.x); if it is ever missing, canEnterContext() says so
 * and the http instrumentation keeps tracing incoming requests the patching way.
 */
export function useContextStorage(manager: ContextManager): void {
  const candidate = (manager as unknown as { _asyncLocalStorage?: AsyncLocalStorage<Context> })._asyncLocalStorage;
  storage = typeof candidate?.enterWith === 'function' && typeof candidate.run === 'function' ? candidate : undefined;
}

export function canEnterContext(): boolean {
  return storage !== undefined;
}

export function enterContext(context: Context): void {
  storage!.enterWith(context);
}

export function isActive(context: Context): boolean {
  return storage!.getStore() === context;
}

/** Calls `fn` on `self` with `args` and `context` active. */
export function applyInContext<T>(context: Context, fn: (...args: unknown[]) => T, self: unknown, args: unknown[]): T {
  return storage!.run(context, Reflect.apply, fn, self, args) as T;
}
