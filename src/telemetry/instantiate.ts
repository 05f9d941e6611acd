// Constructs and enables one instrumentation from its own package (never through the
// auto-instrumentations-node index, which loads all of them: ~105 ms here).

import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { MeterProvider } from '@opentelemetry/api';
import { packageOf, type CatalogEntry } from './catalog.ts';
import { configFor, type InstrumentationContext } from './instrumentation-config.ts';
import { load } from './load.ts';
import type { Warn } from './env.ts';

type InstrumentationClass = new (config: Record<string, unknown>) => Instrumentation;

let noopMeterProvider: MeterProvider | undefined;

/**
 * Instrumentations record their own metrics (http.server.request.duration, …) on the
 * global meter provider. This package records RED metrics itself, so they get a no-op one.
 */
function getNoopMeterProvider(): MeterProvider {
  if (!noopMeterProvider) {
    const { createNoopMeter } = load('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const meter = createNoopMeter();
    noopMeterProvider = { getMeter: () => meter };
  }
  return noopMeterProvider;
}

export function instantiate(entry: CatalogEntry, context: InstrumentationContext, warn: Warn): Instrumentation | undefined {
  const pkg = packageOf(entry);
  let Class: InstrumentationClass | undefined;
  try {
    Class = (load(pkg) as Record<string, InstrumentationClass | undefined>)[entry.className];
  } catch {
    warn(`instrumentation ${entry.name} needs ${pkg}, which is not installed; ${entry.modules.join(', ') || entry.name} not traced`);
    return undefined;
  }
  if (typeof Class !== 'function') {
    warn(`${pkg} does not export ${entry.className}; ${entry.name} not traced`);
    return undefined;
  }
  try {
    // Constructed disabled so the no-op meter provider is in place before it patches anything;
    // then the config is set again without `enabled: false`, which some (undici) read per request.
    const config = configFor(entry, context);
    const instrumentation = new Class({ ...config, enabled: false });
    instrumentation.setMeterProvider(getNoopMeterProvider());
    instrumentation.setConfig(config);
    instrumentation.enable();
    return instrumentation;
  } catch (error) {
    warn(`instrumentation ${entry.name} failed to start (${(error as Error).message}); not traced`);
    return undefined;
  }
}
