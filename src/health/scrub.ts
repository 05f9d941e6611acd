// Health checks report what went wrong, and error messages from drivers love to carry
// connection strings: "connect ECONNREFUSED postgres://app:s3cret@db:5432". Everything a
// check returns is scrubbed of credentials before it is served, exported or logged.

const REDACTED = '***';

// scheme://user:password@host -> scheme://user:***@host
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):([^\s@/]+)@/gi;
// password=..., token: ..., "apiKey":"..." and friends, in query strings, DSNs, JSON and prose.
const SECRET_PAIRS =
  /\b((?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|access[_-]?key|auth|credentials?|private[_-]?key)["']?\s*[=:]\s*["']?)([^\s"'&;,)]+)/gi;
const BEARER = /\b(bearer|basic)\s+[a-z0-9._~+/=-]{6,}/gi;
const SECRET_KEY = /^(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|access[_-]?key|authorization|auth|credentials?|private[_-]?key)$/i;

export function scrubText(text: string): string {
  return text
    .replace(URL_CREDENTIALS, `$1:${REDACTED}@`)
    .replace(SECRET_PAIRS, `$1${REDACTED}`)
    .replace(BEARER, `$1 ${REDACTED}`);
}

/** A scrubbed deep copy of JSON-safe `value`: secret-named keys are redacted, every string is scrubbed. */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > 32) return value;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SECRET_KEY.test(key) && item !== null && item !== undefined && item !== ''
      ? REDACTED
      : scrubValue(item, depth + 1);
  }
  return copy;
}
