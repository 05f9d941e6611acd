// Every warning the SDK prints has a stable code, and every code is documented in
// docs/troubleshooting.md under its own heading, so searching for what stderr showed finds it.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { WARNING_CODES } from '../src/index.ts';
import { ROOT } from './helpers/process.ts';
import { captureStderr } from './helpers/stderr.ts';
import { resetWarnings, warn } from '../src/warnings.ts';

const doc = readFileSync(join(ROOT, 'docs/troubleshooting.md'), 'utf8');

test('every warning code has its entry in docs/troubleshooting.md', () => {
  const documented = new Set([...doc.matchAll(/^### (OBS_[A-Z_]+)$/gm)].map((m) => m[1]));
  const undocumented = Object.keys(WARNING_CODES).filter((code) => !documented.has(code));
  assert.deepEqual(undocumented, []);
  const unknown = [...documented].filter((code) => !(code! in WARNING_CODES));
  assert.deepEqual(unknown, [], 'documented codes the SDK never prints');
});

test('every code the sources use is in the catalogue, and the sources print only through warn()', () => {
  const files = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const mayWrite = new Set(['warnings.ts']);
  const used = new Set<string>();
  for (const file of files) {
    const text = readFileSync(join(ROOT, 'src', file), 'utf8');
    for (const match of text.matchAll(/\b(OBS_[A-Z_]+)\b/g)) used.add(match[1]!);
    if (!mayWrite.has(file)) {
      assert.doesNotMatch(text, /process\.stderr\.write|console\.(warn|error|log)\(/, `${file} writes to the console itself`);
    }
  }
  assert.deepEqual([...used].filter((code) => !(code in WARNING_CODES)), []);
  assert.ok(used.size >= Object.keys(WARNING_CODES).length, 'every catalogued code is used somewhere');
});

test('a warning prints its code first, once per cause', async () => {
  resetWarnings();
  const { stderr } = await captureStderr(() => {
    warn('OBS_PORT_BUSY', 'observability server could not listen on 127.0.0.1:1 (EACCES)');
    warn('OBS_PORT_BUSY', 'observability server could not listen on 127.0.0.1:1 (EACCES)');
  });
  assert.equal(stderr, '[@wizamart/observability] OBS_PORT_BUSY: observability server could not listen on 127.0.0.1:1 (EACCES)\n');
});

test("a URL's userinfo never reaches stderr, whichever warning names it (issue 16, defect 5)", async () => {
  resetWarnings();
  const { stderr } = await captureStderr(() => {
    warn('OBS_OTLP_EXPORTER', 'the OTLP exporter for https://tenant:s3cr@t@collector.example:4318/v1/traces could not be created');
  });
  assert.match(stderr, /for https:\/\/tenant:\*\*\*@collector\.example:4318\/v1\/traces could not be created/);
  assert.doesNotMatch(stderr, /s3cr/);
});
