// The catalog names, without loading anything, the modules each instrumentation patches
// (that is what makes lazy loading free). This checks those lists against the installed
// packages, so an upgrade that changes them fails here instead of silently not tracing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CATALOG, packageOf } from '../src/telemetry/catalog.ts';

const require = createRequire(import.meta.url);

interface Definitions { getModuleDefinitions?: () => Array<{ name: string }> }

for (const entry of CATALOG) {
  test(`catalog: ${entry.name} patches ${entry.modules.join(', ') || 'no module (diagnostics channels)'}`, () => {
    const Class = (require(packageOf(entry)) as Record<string, new (config: object) => Definitions>)[entry.className];
    assert.equal(typeof Class, 'function', `${packageOf(entry)} exports ${entry.className}`);
    const instrumentation = new Class!({ enabled: false });
    const actual = [...new Set((instrumentation.getModuleDefinitions?.() ?? []).map((d) => d.name))].sort();
    assert.deepEqual([...entry.modules].sort(), actual);
  });
}
