// Sentry's own DSN parser answers a bad DSN by printing `Invalid Sentry Dsn: <the DSN>` to
// the console — the key included, without our prefix or code — and accepts some it cannot
// use (an ftp:// scheme, a project that is not a number). The DSN is checked here first, so
// a bad one gives exactly one warning, ours, and the key is never echoed.

// Sentry's form: <http|https>://<public key>[:<secret>]@<host>[:<port>]/[<path>/]<numeric project id>
const DSN = /^https?:\/\/\w+(?::\w*)?@[\w.-]+(?::\d+)?\/(?:[^?#]*\/)?\d+$/;

export function isValidDsn(dsn: string): boolean {
  return DSN.test(dsn);
}
