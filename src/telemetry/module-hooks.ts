// Loads an instrumentation only when the app loads its library. A synchronous module
// resolve hook (module.registerHooks, Node >= 22.15, runs on the app's thread for both
// require() and import) sees the specifier 'express' before express is loaded; at that
// moment the express instrumentation is constructed and enabled, which registers its
// require-in-the-middle / import-in-the-middle hooks, and the load that follows is patched.
// An app that never loads pg never pays for the pg instrumentation.

// A namespace import: a named import of registerHooks would fail to link on a Node without it.
import * as nodeModule from 'node:module';
import type { CatalogEntry } from './catalog.ts';
import { packageName } from './module-name.ts';

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
