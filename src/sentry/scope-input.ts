// What the scope calls accept. A bad value is dropped with one warning that names the call
// and the cause, never thrown at the app (observability must not take a request down) and
// never sent as something Sentry would reject or show mangled. Limits are Sentry's own:
// tag keys up to 32 characters, tag values up to 200 and on one line.

import { warn } from '../warnings.ts';

export interface User {
  id?: string | number;
  email?: string;
  username?: string;
  ip_address?: string;
  [key: string]: unknown;
}

export interface Breadcrumb {
  message?: string;
  category?: string;
  level?: 'fatal' | 'error' | 'warning' | 'log' | 'info' | 'debug';
  type?: string;
  data?: Record<string, unknown>;
  timestamp?: number;
}

const TAG_KEY = /^[A-Za-z0-9_.:-]{1,32}$/;
const MAX_TAG_VALUE = 200;

function reject(call: string, cause: string): false {
  warn('OBS_SENTRY_VALUE', `sentry.${call}: ${cause}; the call is ignored`, `OBS_SENTRY_VALUE ${call} ${cause}`);
  return false;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function checkUser(user: unknown): user is User | null {
  if (user === null) return true;
  if (!isRecord(user)) return reject('setUser', `expected an object such as { id, email, username } or null, got ${typeof user}`);
  for (const field of ['id', 'email', 'username', 'ip_address'] as const) {
    const value = user[field];
    if (value !== undefined && typeof value !== 'string' && !(field === 'id' && typeof value === 'number')) {
      return reject('setUser', `${field} must be a string${field === 'id' ? ' or a number' : ''}`);
    }
  }
  return true;
}

export function checkTag(key: unknown, value: unknown): boolean {
  if (typeof key !== 'string' || !TAG_KEY.test(key)) {
    return reject('setTag', 'a tag key is 1-32 characters of letters, digits, _ . : -');
  }
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    return reject('setTag', `tag ${key}: the value must be a string, number or boolean, got ${value === null ? 'null' : typeof value}`);
  }
  const text = String(value);
  if (text.length > MAX_TAG_VALUE || /[\r\n]/.test(text)) {
    return reject('setTag', `tag ${key}: the value must be one line of at most ${MAX_TAG_VALUE} characters`);
  }
  return true;
}

export function checkContext(name: unknown, context: unknown): boolean {
  if (typeof name !== 'string' || name === '') return reject('setContext', 'the context name must be a non-empty string');
  if (context !== null && !isRecord(context)) return reject('setContext', `context ${name}: expected an object or null`);
  return true;
}

export function checkBreadcrumb(breadcrumb: unknown): boolean {
  if (!isRecord(breadcrumb)) return reject('addBreadcrumb', 'expected an object such as { message, category, level }');
  if (breadcrumb.message !== undefined && typeof breadcrumb.message !== 'string') return reject('addBreadcrumb', 'message must be a string');
  return true;
}
