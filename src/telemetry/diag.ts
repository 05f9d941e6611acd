// OTEL_LOG_LEVEL turns on the SDK's own diagnostics (export errors, patching decisions) on
// the console, as NodeSDK does; unset, the SDK stays silent and only our warnings appear.

import type * as Api from '@opentelemetry/api';
import { load } from './load.ts';
import { readString, type Env, type Warn } from './env.ts';

const LEVELS = ['NONE', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'VERBOSE', 'ALL'] as const;

export function setupDiagnostics(env: Env, warn: Warn): void {
  const value = readString(env, 'OTEL_LOG_LEVEL')?.toUpperCase();
  if (value === undefined) return;
  if (!(LEVELS as readonly string[]).includes(value)) {
    warn(`OTEL_LOG_LEVEL=${JSON.stringify(env.OTEL_LOG_LEVEL)} is not one of ${LEVELS.join(', ')}; SDK diagnostics stay off`);
    return;
  }
  const api = load('@opentelemetry/api') as typeof Api;
  api.diag.setLogger(new api.DiagConsoleLogger(), { logLevel: api.DiagLogLevel[value as (typeof LEVELS)[number]] });
}
