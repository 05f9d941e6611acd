// OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, as the spec names them. Default (unset):
// parentbased_always_on, which is also TracerProvider's own default.

import type { Sampler } from '@opentelemetry/sdk-trace';
import { load } from './load.ts';
import { readString, type Env, type Warn } from './env.ts';

const NAMES = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

export function createSampler(env: Env, warn: Warn): Sampler | undefined {
  const name = readString(env, 'OTEL_TRACES_SAMPLER');
  if (name === undefined) return undefined;
  if (!NAMES.includes(name)) {
    warn(`OTEL_TRACES_SAMPLER=${JSON.stringify(name)} is not one of ${NAMES.join(', ')}; using parentbased_always_on`);
    return undefined;
  }
  const { AlwaysOnSampler, AlwaysOffSampler, TraceIdRatioBasedSampler, ParentBasedSampler } =
    load('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const base = name.replace('parentbased_', '');
  const root = base === 'always_on' ? new AlwaysOnSampler()
    : base === 'always_off' ? new AlwaysOffSampler()
    : new TraceIdRatioBasedSampler(readRatio(env, warn));
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

function readRatio(env: Env, warn: Warn): number {
  const raw = readString(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (raw === undefined) return 1;
  const ratio = Number(raw);
  if (Number.isFinite(ratio) && ratio >= 0 && ratio <= 1) return ratio;
  warn(`OTEL_TRACES_SAMPLER_ARG=${JSON.stringify(raw)} is not a number in [0, 1]; using 1`);
  return 1;
}
