// Context propagation: W3C trace context and baggage unless OTEL_PROPAGATORS says otherwise
// ('none' turns it off). b3/jaeger/xray need packages this SDK does not ship: warned, skipped.

import type { TextMapPropagator } from '@opentelemetry/api';
import { load } from './load.ts';
import { readList, type Env, type Warn } from './env.ts';

export function createPropagator(env: Env, warn: Warn): TextMapPropagator | undefined {
  const { CompositePropagator, W3CTraceContextPropagator, W3CBaggagePropagator } =
    load('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const names = readList(env, 'OTEL_PROPAGATORS') ?? ['tracecontext', 'baggage'];
  if (names.includes('none')) return undefined;
  const propagators: TextMapPropagator[] = [];
  const unsupported: string[] = [];
  for (const name of new Set(names)) {
    if (name === 'tracecontext') propagators.push(new W3CTraceContextPropagator());
    else if (name === 'baggage') propagators.push(new W3CBaggagePropagator());
    else unsupported.push(name);
  }
  if (unsupported.length > 0) warn(`OTEL_PROPAGATORS: unsupported propagator(s) ${unsupported.join(', ')} ignored; supported: tracecontext, baggage, none`);
  return new CompositePropagator({ propagators });
}
