// Health checks report what went wrong, and error messages from drivers love to carry
// connection strings: "connect ECONNREFUSED postgres://app:s3cret@db:5432". Everything a
// check returns is scrubbed of credentials before it is served, exported or logged.
//
// Scrubbing runs on every health run, on text a check controls, so every pattern here is
// linear in the length of the text: no quantified run followed by something that can fail
// and make the engine retry from the next character (the old URL pattern took 1 s on
// 40 KB of 'a.a.a.'), and messages are capped before they are scrubbed.

const REDACTED = '***';

/** Longest check message served; the rest is cut with a note saying how much. */
export const MAX_MESSAGE_CHARS = 2048;

/**
 * Whether a key or variable name names a secret: the secret words anywhere in it, whatever
 * the separators and case (dbPassword, DB_PASSWORD, client-secret, x-api-key,
 * AWS_SECRET_ACCESS_KEY, refresh_token, Cookie). indexOf only: names come from check
 * output too, and may be long.
 */
export function isSecretName(name: string): boolean {
  const n = name.toLowerCase().replace(/[-_.\s]/g, '');
  if (n === '') return false;
  for (const word of SECRET_WORDS) if (n.includes(word)) return true;
  const api = n.indexOf('api');
  if (api !== -1 && n.indexOf('key', api + 3) !== -1) return true; // *api*key*
  return n === 'auth' || n.endsWith('auth') || n === 'pass' || n.endsWith('pass') || n === 'pwd';
}

const SECRET_WORDS = [
  'password', 'passwd', 'passphrase', 'secret', 'token', 'credential', 'cookie', 'authorization',
  'accesskey', 'privatekey', 'jwt', 'sessionid', 'signature',
];

/** Names whose value is the rest of the header line ("Authorization: Token abc def"). */
const HEADER_NAMES = new Set(['authorization', 'proxyauthorization', 'cookie', 'setcookie']);
/** Authorization schemes kept in view ("Bearer ***"): they say what kind of credential it was. */
const AUTH_SCHEME = /^(bearer|basic|token|digest|negotiate|apikey|aws4-hmac-sha256)(\s+)/i;

// scheme://userinfo@host -> scheme://user:***@host. The authority runs to the first / ? #
// or space; the userinfo is everything up to its LAST @ (a password may contain @). The
// pattern starts at a fixed "://" and only matches an authority holding an @; the
// authorities of successive "://" do not overlap, so no character is scanned twice.
const URL_AUTHORITY = /:\/\/([^\s/?#@]*@[^\s/?#]*)/g;
// name = value, name: value, "name":"value", in query strings, DSNs, env dumps, JSON and
// prose. A name starts where no name character precedes it, so a run of name characters
// is tried once, not once per character. Only the name and separator are matched; the value
// is read by hand, after deciding the name is a secret's.
const NAME_AND_SEPARATOR = /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)(["']?\s*[=:]\s*)/g;
const BEARER = /(?<![A-Za-z0-9_-])(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi;
// A bare JSON Web Token (header.payload.signature, base64url, header starting "eyJ").
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** `text` with the userinfo of every URL in it masked (every warning goes through this). */
export function scrubUrls(text: string): string {
  return text.replace(URL_AUTHORITY, maskUserinfo);
}

/** `text` without credentials; linear in its length. */
export function scrubText(text: string): string {
  return scrubPairs(text.replace(URL_AUTHORITY, maskUserinfo))
    .replace(BEARER, `$1$2${REDACTED}`)
    .replace(JWT, REDACTED);
}

/**
 * A check's message as served: at most MAX_MESSAGE_CHARS, then scrubbed. Only a bounded
 * window is scrubbed; the window is twice the cap so that a secret cut at its edge lies
 * past the cap, and the scrubbed text is cut to the cap.
 */
export function scrubMessage(message: string): string {
  if (message.length <= MAX_MESSAGE_CHARS) return scrubText(message);
  const scrubbed = scrubText(message.slice(0, 2 * MAX_MESSAGE_CHARS));
  let kept = scrubbed.slice(0, MAX_MESSAGE_CHARS);
  // Never end on half a surrogate pair: the report must stay valid UTF-8 JSON.
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1);
  return `${kept}… (truncated ${message.length - kept.length} chars)`;
}

/** A URL with any userinfo removed (links shown to whoever may see /health/tools). */
export function withoutUserinfo(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return scrubText(url);
  }
}

const PLACEHOLDER_USERINFO = /^<[\w -]{1,40}>(?::<[\w -]{1,40}>)?$/;

function maskUserinfo(match: string, authority: string): string {
  const at = authority.lastIndexOf('@');
  if (at === -1) return match;
  const userinfo = authority.slice(0, at);
  // A placeholder, as messages spell the expected form (https://<key>@<host>/<project>).
  if (PLACEHOLDER_USERINFO.test(userinfo)) return match;
  const colon = userinfo.indexOf(':');
  // With no password part the whole userinfo is the credential (https://ghp_token@github.com).
  const masked = colon === -1 ? REDACTED : `${userinfo.slice(0, colon)}:${REDACTED}`;
  return `://${masked}${authority.slice(at)}`;
}

/** Every secret name contains one of these: text without any has no pair to scrub. */
const SECRET_HINT = /pass|pwd|secret|token|credential|cookie|auth|key|jwt|session|signature/i;

function scrubPairs(text: string): string {
  if (!SECRET_HINT.test(text)) return text;
  let out = '';
  let copied = 0;
  NAME_AND_SEPARATOR.lastIndex = 0;
  for (let m = NAME_AND_SEPARATOR.exec(text); m !== null; m = NAME_AND_SEPARATOR.exec(text)) {
    const name = m[1] as string;
    if (!isSecretName(name)) {
      // Not a secret's name: its value is scanned like any text ("error: password=x").
      NAME_AND_SEPARATOR.lastIndex = m.index + name.length;
      continue;
    }
    const header = HEADER_NAMES.has(name.toLowerCase().replace(/[-_]/g, ''));
    const [from, to] = valueSpan(text, m.index + m[0].length, header);
    NAME_AND_SEPARATOR.lastIndex = Math.max(to, m.index + m[0].length);
    if (to === from) continue;
    const scheme = header ? AUTH_SCHEME.exec(text.slice(from, Math.min(to, from + 40))) : null;
    out += text.slice(copied, from) + (scheme ? scheme[0] : '') + REDACTED;
    copied = to;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * The value starting at `start`, as [from, to): a quoted value inside its quotes; a
 * header's up to the end of the line; any other up to the first space, quote, & ; , or ).
 */
function valueSpan(text: string, start: number, header: boolean): [number, number] {
  const quote = text[start];
  let i = start;
  if (quote === '"' || quote === "'") {
    i = start + 1;
    while (i < text.length && text[i] !== quote && text[i] !== '\n' && text[i] !== '\r') i++;
    return [start + 1, i];
  }
  if (header) {
    while (i < text.length && text[i] !== '\n' && text[i] !== '\r' && text[i] !== '"' && text[i] !== "'") i++;
    while (i > start && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
    return [start, i];
  }
  while (i < text.length && !VALUE_END.test(text[i] as string)) i++;
  return [start, i];
}

const VALUE_END = /[\s"'&;,)]/;

/** A scrubbed deep copy of JSON-safe `value`: secret-named keys are redacted, every string is scrubbed. */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object' || depth > 32) return value;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = isSecretName(key) && item !== null && item !== undefined && item !== ''
      ? REDACTED
      : scrubValue(item, depth + 1);
  }
  return copy;
}
