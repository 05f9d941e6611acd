// The runnable examples of docs/metrics.md (```js run, optionally followed by ```output)
// run against the metrics sources as they are, so the page cannot drift from the code.
// test/docs.test.ts runs them again against the built package.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..');
const DOC = 'docs/metrics.md';
const FENCE = /^```(\S*)(?: (\S+))?\n([\s\S]*?)^```\n/gm;
const METRICS = pathToFileURL(join(ROOT, 'src/metrics/index.ts')).href;

interface Example {
  line: number;
  code: string;
  output: string | undefined;
}

function examples(): Example[] {
  const text = readFileSync(join(ROOT, DOC), 'utf8');
  const blocks = [...text.matchAll(FENCE)];
  return blocks.flatMap((block, i) => {
    if (block[1] !== 'js' || block[2] !== 'run') return [];
    const next = blocks[i + 1];
    const adjacent = next && next[1] === 'output' && text.slice(block.index + block[0].length, next.index).trim() === '';
    return [{ line: text.slice(0, block.index).split('\n').length, code: block[3] as string, output: adjacent ? next[3] : undefined }];
  });
}

/** Only the type-stripping flags of this process (Node 22.15 needs one); not the test runner's. */
const nodeFlags = process.execArgv.filter((a) => a.startsWith('--experimental-strip-types') || a.startsWith('--no-warnings'));

function run(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...nodeFlags, script], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe(`${DOC} examples`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrics-docs-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const found = examples();

  test('the page has runnable examples, with expected output', () => {
    assert.ok(found.length >= 2, `found ${found.length}`);
    assert.ok(found.every((e) => e.output !== undefined));
  });

  for (const example of found) {
    test(`${DOC}:${example.line} runs and prints its output`, async () => {
      const imports = [...example.code.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      assert.deepEqual([...new Set(imports)], ['@wizamart/observability'], 'examples import the package only');
      const script = join(dir, `example_${example.line}.mjs`);
      writeFileSync(script, example.code.replaceAll("'@wizamart/observability'", `'${METRICS}'`));
      const { code, stdout, stderr } = await run(script);
      assert.equal(code, 0, `exit ${code}\nstderr: ${stderr}`);
      if (example.output !== undefined) assert.equal(stdout, example.output);
    });
  }
});
