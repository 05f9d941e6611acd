// Optional peer dependencies: packages a feature needs only when it is configured (@sentry/node
// with a DSN, a cloud resource detector named in OTEL_NODE_RESOURCE_DETECTORS, the gRPC trace
// exporter). The default install leaves them out (issue 15: they were most of its 170 MB);
// configured without them, the feature is off and one OBS_PACKAGE_MISSING warning says what
// to install.

/** True when loading `pkg` failed because `pkg` itself is not installed (not one of its own imports). */
export function isNotInstalled(error: unknown, pkg: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${pkg}'`);
}

/** The end of every OBS_PACKAGE_MISSING message: the exact command that turns the feature on. */
export function installHint(pkg: string): string {
  return `install it with \`npm install ${pkg}\``;
}
