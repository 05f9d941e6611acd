// ES module apps: OpenTelemetry patches ESM imports only through import-in-the-middle's
// loader, which must be registered before the app's first import (without it an ESM app's
// node:http gets no spans at all). The loader wraps only the modules the instrumentations
// patch (`include`), so every other import goes through untouched.

import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';
import { load } from './load.ts';
import type { Warn } from './env.ts';

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
    warn(`ES module loader hook not registered (${(error as Error).message}); ES module imports are not instrumented`);
    return 'none';
  }
}
