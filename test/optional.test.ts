// Optional peer dependencies: the warning's install command names the range package.json
// declares, and "not installed" means the package itself, not something it imports.
// (The missing-package path itself runs for real against the tarball: test/package/.)

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { installHint, isNotInstalled } from '../src/optional.ts';
import { ROOT } from './helpers/process.ts';

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

test('every peer dependency is optional, and a dev dependency so the suite exercises it', () => {
  for (const pkg of Object.keys(manifest.peerDependencies)) {
    assert.equal(manifest.peerDependenciesMeta[pkg]?.optional, true, `${pkg} is an optional peer`);
    assert.ok(manifest.devDependencies[pkg], `${pkg} is a dev dependency`);
    assert.equal(manifest.dependencies[pkg], undefined, `${pkg} is not a dependency`);
  }
});

test('the install command names the declared range, quoted for the shell when it must be', () => {
  for (const [pkg, range] of Object.entries(manifest.peerDependencies)) {
    const hint = installHint(pkg);
    assert.ok(hint === `install it with \`npm install ${pkg}@${range}\`` || hint === `install it with \`npm install '${pkg}@${range}'\``, hint);
  }
  assert.equal(installHint('left-pad'), 'install it with `npm install left-pad`');
});

test('not installed: the package itself, not a module it fails to import', () => {
  let error: unknown;
  try {
    createRequire(import.meta.url)('wizamart-no-such-package');
  } catch (caught) {
    error = caught;
  }
  assert.equal(isNotInstalled(error, 'wizamart-no-such-package'), true);
  assert.equal(isNotInstalled(error, '@sentry/node'), false);
  assert.equal(isNotInstalled(new Error('boom'), 'wizamart-no-such-package'), false);
});
