// Module hooks: how instrumentations get to patch the app's modules, CommonJS and ES, and
// only the ones it really loads.

// A namespace import: a named import of registerHooks would fail to link on a Node without it.
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';
import type * as InstrumentationApi from '@opentelemetry/instrumentation';
import type { CatalogEntry } from './catalog.ts';
import type { Warn } from './env.ts';
import { load } from './load.ts';

// Lazy activation — loads an instrumentation only when the app loads its library. A synchronous module
// resolve hook (module.registerHooks, Node >= 22.15, runs on the app's thread for both
// require() and import) sees the specifier 'express' before express is loaded; at that
// moment the express instrumentation is constructed and enabled, which registers its
// require-in-the-middle / import-in-the-middle hooks, and the load that follows is patched.
// An app that never loads pg never pays for the pg instrumentation.

export interface ActivationPlan {
  /** Start now: core modules (often loaded before any hook can see them) and channel-based ones. */
  eager: CatalogEntry[];
  /** Start on first resolution of one of their modules. */
  lazy: CatalogEntry[];
}

const CORE = new Set(nodeModule.builtinModules);

export function splitEagerLazy(entries: readonly CatalogEntry[], canHook: boolean): ActivationPlan {
  const plan: ActivationPlan = { eager: [], lazy: [] };
  for (const entry of entries) {
    const eager = !canHook || entry.modules.length === 0 || entry.modules.some((m) => CORE.has(m));
    (eager ? plan.eager : plan.lazy).push(entry);
  }
  return plan;
}

/** Whether this Node has module.registerHooks (22.15+, 23.5+). */
export function canHookResolution(): boolean {
  return typeof nodeModule.registerHooks === 'function';
}

/**
 * Calls `activate(entry)` once, synchronously, the first time a module of `entry` is
 * resolved. Returns a function that stops watching (the hook stays, as a pass-through).
 */
export function activateOnFirstLoad(entries: readonly CatalogEntry[], activate: (entry: CatalogEntry) => void): () => void {
  const byPackage = new Map<string, CatalogEntry>();
  for (const entry of entries) for (const module of entry.modules) byPackage.set(packageName(module) ?? module, entry);
  if (byPackage.size === 0) return () => {};
  nodeModule.registerHooks({
    resolve(specifier, context, nextResolve) {
      if (byPackage.size > 0) {
        const name = packageName(specifier);
        const entry = name === undefined ? undefined : byPackage.get(name);
        if (entry) {
          // Forget every module of the entry first: activation loads packages, which
          // resolves modules through this very hook.
          for (const module of entry.modules) byPackage.delete(packageName(module) ?? module);
          activate(entry);
        }
      }
      return nextResolve(specifier, context);
    },
  });
  return () => byPackage.clear();
}

// ES module loader: ES module apps: OpenTelemetry patches ESM imports only through import-in-the-middle's
// loader, which must be registered before the app's first import (without it an ESM app's
// node:http gets no spans at all). The loader wraps only the modules the instrumentations
// patch (`include`), so every other import goes through untouched.

type RegisterHooksModule = typeof import('import-in-the-middle/register-hooks.mjs');

export function registerEsmLoader(include: string[], warn: Warn): 'sync' | 'async' | 'none' {
  if (include.length === 0) return 'none';
  try {
    // Preferred: in-thread hooks (module.registerHooks). No loader thread to start (tens of
    // ms) and no message channel, so hooks added later (lazy activation) are seen at once.
    const hooks = load('import-in-the-middle/register-hooks.mjs') as RegisterHooksModule;
    if (hooks.supportsSyncHooks()) {
      hooks.register({ include });
      return 'sync';
    }
  } catch {
    // An import-in-the-middle without register-hooks.mjs: use the loader thread below.
  }
  try {
    // Older Node 22: the loader thread, told the module list up front through `data`.
    const hook = load.resolve('@opentelemetry/instrumentation/hook.mjs');
    nodeModule.register(pathToFileURL(hook).href, { data: { include } });
    return 'async';
  } catch (error) {
    warn('OBS_ESM_HOOK', `ES module loader hook not registered (${(error as Error).message}); ES module imports are not instrumented`);
    return 'none';
  }
}

// Require hook anchor — lazily started instrumentations patch CommonJS modules through one shared
// require-in-the-middle hook (RequireInTheMiddleSingleton), created by the first
// instrumentation ever constructed. It wraps Module.prototype.require, so it must exist
// *before* the app's require('express') begins: an instrumentation constructed during that
// call would install the wrapper too late to see it return. Constructing this inert
// instrumentation at start guarantees the wrapper is there even when every real one is lazy.

export function installRequireHook(): void {
  const { InstrumentationBase } = load('@opentelemetry/instrumentation') as typeof InstrumentationApi;
  class RequireHookAnchor extends InstrumentationBase {
    protected override init(): [] {
      return [];
    }
  }
  new RequireHookAnchor('@wizamart/observability/require-hook-anchor', '1.0.0', { enabled: false });
}

// Package names — the package a module specifier refers to: 'pg/lib/client' -> 'pg', '@redis/client/dist/x'
// -> '@redis/client', 'node:fs/promises' -> 'fs'. Relative, absolute and URL specifiers
// name no package (undefined). Runs on every module resolution, so it is plain string work.

export function packageName(specifier: string): string | undefined {
  let s = specifier;
  if (s.startsWith('node:')) s = s.slice(5);
  const first = s.charCodeAt(0);
  // '.', '/', '#' (imports map) or a URL scheme / Windows drive ('file:', 'C:')
  if (first === 46 || first === 47 || first === 35 || s.includes(':')) return undefined;
  const slash = s.indexOf('/');
  if (first === 64 /* @ */) {
    if (slash < 0) return undefined;
    const second = s.indexOf('/', slash + 1);
    return second < 0 ? s : s.slice(0, second);
  }
  return slash < 0 ? s : s.slice(0, slash);
}
