// Every ```js run block in README.md and docs/*.md runs here against the built package
// (```js run preload: under `node --import ./register.js`, with ENABLE_METRICS=true);
// when an ```output block follows it, the block's stdout must equal it.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REGISTER, ROOT, startNode } from './helpers/process.ts';

interface Example {
  file: string;
  line: number;
  code: string;
  preload: boolean;
  output: string | undefined;
}

const FENCE = /^```(\S*)((?: \S+)*)\n([\s\S]*?)^```\n/gm;

export function examplesIn(file: string): Example[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const blocks = [...text.matchAll(FENCE)];
  const examples: Example[] = [];
  blocks.forEach((block, i) => {
    const words = block[2]!.trim().split(' ');
    if (block[1] !== 'js' || words[0] !== 'run') return;
    const next = blocks[i + 1];
    const adjacent = next && next[1] === 'output' && text.slice(block.index + block[0].length, next.index).trim() === '';
    examples.push({
      file,
      line: text.slice(0, block.index).split('\n').length,
      code: block[3]!,
      preload: words.includes('preload'),
      output: adjacent ? next[3] : undefined,
    });
  });
  return examples;
}

// Inside the package, so `@wizamart/observability` resolves to this checkout (self-reference).
const SCRATCH = join(ROOT, '.docs-run');
const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('documentation examples', () => {
  mkdirSync(SCRATCH, { recursive: true });
  after(() => rmSync(SCRATCH, { recursive: true, force: true }));

  it('finds runnable examples', () => {
    assert.ok(files.flatMap(examplesIn).length >= 5);
  });

  for (const example of files.flatMap(examplesIn)) {
    it(`${example.file}:${example.line} runs${example.output === undefined ? '' : ' and prints its output'}`, async () => {
      const script = join(SCRATCH, `${example.file.replace(/\W/g, '_')}_${example.line}.mjs`);
      writeFileSync(script, example.code);
      const args = example.preload ? ['--import', REGISTER, script] : [script];
      const env = { OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1', ...(example.preload ? { ENABLE_METRICS: 'true' } : {}) };
      const child = startNode(args, env);
      const { code } = await child.exited(20_000);
      assert.equal(code, 0, `exit ${code}\nstderr: ${child.stderr()}`);
      if (example.output !== undefined) assert.equal(child.stdout(), example.output);
    });
  }
});
