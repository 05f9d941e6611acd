// Lazily started instrumentations patch CommonJS modules through one shared
// require-in-the-middle hook (RequireInTheMiddleSingleton), created by the first
// instrumentation ever constructed. It wraps Module.prototype.require, so it must exist
// *before* the app's require('express') begins: an instrumentation constructed during that
// call would install the wrapper too late to see it return. Constructing this inert
// instrumentation at start guarantees the wrapper is there even when every real one is lazy.

import type * as InstrumentationApi from '@opentelemetry/instrumentation';
import { load } from './load.ts';

export function installRequireHook(): void {
  const { InstrumentationBase } = load('@opentelemetry/instrumentation') as typeof InstrumentationApi;
  class RequireHookAnchor extends InstrumentationBase {
    protected override init(): [] {
      return [];
    }
  }
  new RequireHookAnchor('@wizamart/observability/require-hook-anchor', '1.0.0', { enabled: false });
}
