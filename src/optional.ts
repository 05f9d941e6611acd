// Optional peer dependencies: packages a feature needs only when it is configured (@sentry/node
// with a DSN, a cloud resource detector named in OTEL_NODE_RESOURCE_DETECTORS, the gRPC trace
// exporter). The default install leaves them out (issue 15: they were most of its 163 MB);
// configured without them, the feature is off and one OBS_PACKAGE_MISSING warning says what
// to install.

import { createRequire } from 'node:module';

/** True when loading `pkg` failed because `pkg` itself is not installed (not one of its own imports). */
export function isNotInstalled(error: unknown, pkg: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${pkg}'`);
}

/**
 * The end of every OBS_PACKAGE_MISSING message: the command that turns the feature on. It
 * names the version range this package declares: the newest release is not always in it
 * (the OTel exporters are pinned); npm 11 picks a fitting version by itself, but pnpm and
 * yarn install the newest and only warn.
 */
export function installHint(pkg: string): string {
  const range = peerRange(pkg);
  const spec = range === undefined ? pkg : `${pkg}@${range}`;
  return `install it with \`npm install ${/^[\w@/.-]+$/.test(spec) ? spec : `'${spec}'`}\``;
}

function peerRange(pkg: string): string | undefined {
  try {
    // Read only on this warning path; ../package.json is this package's from src/ (built or not).
    const manifest = createRequire(import.meta.url)('../package.json') as { peerDependencies?: Record<string, string> };
    return manifest.peerDependencies?.[pkg];
  } catch {
    return undefined;
  }
}
