// One voice for the SDK on stderr (stdout belongs to the app: a script's output may be
// piped). Observability must never take the app down, so problems are reported here
// once per cause and the caller takes a fallback.

const PREFIX = '[@wizamart/observability]';
const said = new Set<string>();

/** Writes `message` to stderr once per `key` (default: the message itself). */
export function warnOnce(message: string, key: string = message): void {
  if (said.has(key)) return;
  said.add(key);
  process.stderr.write(`${PREFIX} ${message}\n`);
}

/** One informational line, such as where the built-in server listens. */
export function info(message: string): void {
  process.stderr.write(`${PREFIX} ${message}\n`);
}

/** Forgets what was said; tests use it to observe warnings again. */
export function resetWarnings(): void {
  said.clear();
}
