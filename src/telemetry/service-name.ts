// service.name: the explicit option, else OTEL_SERVICE_NAME, else the name in the app's
// package.json (the nearest one walking up from the working directory, which is where a
// service is started from), else the spec's 'unknown_service:node'.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readString, type Env } from './env.ts';

export const UNKNOWN_SERVICE = 'unknown_service:node';

export function resolveServiceName(explicit: string | undefined, env: Env, cwd: string = process.cwd()): string {
  const name = explicit?.trim() || readString(env, 'OTEL_SERVICE_NAME') || packageNameNear(cwd);
  return name || UNKNOWN_SERVICE;
}

/** The `name` of the nearest package.json at or above `start`; undefined if none has one. */
export function packageNameNear(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const name = readPackageName(join(dir, 'package.json'));
    if (name !== null) return name;
    if (dirname(dir) === dir) return undefined;
  }
}

// null: no readable package.json here (keep walking); undefined: found one without a name (stop).
function readPackageName(file: string): string | undefined | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const name: unknown = (JSON.parse(text) as { name?: unknown }).name;
    return typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined;
  } catch {
    return undefined;
  }
}
