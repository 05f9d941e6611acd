// Readers for the standard OTEL_* variables. They read from the `env` the caller passes
// (not process.env) so config and tests decide what the SDK sees, and every bad value
// becomes one warning naming the variable, the value and the fallback taken.

export type Env = NodeJS.ProcessEnv;
export type { Warn } from '../warnings.ts';
import type { Warn } from '../warnings.ts';

/** The trimmed value, or undefined when unset or blank (the spec treats blank as unset). */
export function readString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A comma-separated list, trimmed, empty entries dropped; undefined when unset. */
export function readList(env: Env, name: string): string[] | undefined {
  const value = readString(env, name);
  if (value === undefined) return undefined;
  return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/** `true`/`false` (any case); anything else warns and gives `fallback`. */
export function readBoolean(env: Env, name: string, fallback: boolean, warn: Warn): boolean {
  const value = readString(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  warn('OBS_OTEL_ENV', `${name}=${JSON.stringify(env[name])} is not true or false; using ${fallback}`);
  return fallback;
}

/** A positive number of milliseconds; anything else warns and gives `fallback`. */
export function readPositiveNumber(env: Env, name: string, fallback: number, warn: Warn): number {
  const value = readString(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (Number.isFinite(parsed) && parsed > 0) return parsed;
  warn('OBS_OTEL_ENV', `${name}=${JSON.stringify(value)} is not a positive number; using ${fallback}`);
  return fallback;
}

/**
 * `key1=value1,key2=value2` as used by OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS
 * (values percent-decoded per the spec). Malformed entries are skipped with one warning;
 * with `secret` (header variables: they carry credentials) the entries are counted, never shown.
 */
export function readKeyValues(env: Env, name: string, warn: Warn, { secret = false } = {}): Record<string, string> {
  const result: Record<string, string> = {};
  const raw = readString(env, name);
  if (raw === undefined) return result;
  const bad: string[] = [];
  for (const entry of raw.split(',')) {
    const at = entry.indexOf('=');
    const key = at > 0 ? entry.slice(0, at).trim() : '';
    if (key === '') {
      if (entry.trim() !== '') bad.push(entry.trim());
      continue;
    }
    try {
      result[key] = decodeURIComponent(entry.slice(at + 1).trim());
    } catch {
      bad.push(entry.trim());
    }
  }
  if (bad.length > 0) {
    warn('OBS_OTEL_ENV', secret
      ? `${name}: ignoring ${bad.length} malformed ${bad.length === 1 ? 'entry' : 'entries'} (not shown: they may hold credentials)`
      : `${name}: ignoring malformed entries ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
  }
  return result;
}
