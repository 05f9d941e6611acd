// Which catalog entries run, by the rules of the stock auto-instrumentations: if
// OTEL_NODE_ENABLED_INSTRUMENTATIONS is set only those (default-off ones included), else
// every default-on one; then OTEL_NODE_DISABLED_INSTRUMENTATIONS removes names. Unknown
// names in either list give one warning naming them; they are ignored.

import { CATALOG, type CatalogEntry } from './catalog.ts';
import { readList, type Env, type Warn } from './env.ts';

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
    warn(`unknown instrumentation name(s) ignored: ${named}; known: ${[...known].join(', ')}`);
  }
  return catalog.filter((e) => (enabled ? enabled.has(e.name) : e.defaultOn) && !disabled?.has(e.name));
}
