// The package as a user gets it: `npm pack`, then docs/getting-started.md's install block run
// literally in an empty temporary folder, with the tarball in place of the registry name.
// Nothing here imports the repository: a file missing from `files`, a wrong `exports`
// condition or a dependency that only the repository's dev install provides fails here.

import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ROOT } from '../helpers/process.ts';

export const GUIDE = 'docs/getting-started.md';
const FENCE = /^```(\S*)((?: \S+)*)\n([\s\S]*?)^```\n/gm;

export interface Block {
  lang: string;
  words: string[];
  code: string;
}

export function blocksOf(file: string): Block[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(FENCE)].map((m) => ({ lang: m[1]!, words: m[2]!.trim().split(' ').filter(Boolean), code: m[3]! }));
}

export interface Consumer {
  /** The temporary folder holding the tarball and the app. */
  root: string;
  tarball: string;
  /** The app folder the guide's install block made. */
  app: string;
  /** What `npm install` printed on stderr. */
  installStderr: string;
}

/** The environment for npm and node in the consumer: this test's Node first on PATH, so npm runs on it too. */
export function consumerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
    HOME: process.env.HOME,
    // Offline-friendly: the cache filled by the repository's own `npm ci` serves most of it.
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

export function run(command: string, args: string[], cwd: string, env = consumerEnv(), timeoutMs = 180_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} ended with ${code ?? signal}\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}

/** Packs the built repository and runs the guide's first `sh` block in a fresh temporary folder. */
export async function installFromGuide(): Promise<Consumer> {
  if (!existsSync(join(ROOT, 'register.js'))) throw new Error('register.js is missing: run `npm run build` first');
  const root = mkdtempSync(join(tmpdir(), 'obs-package-'));
  const packed = JSON.parse((await run('npm', ['pack', '--json', '--pack-destination', root], ROOT)).stdout) as Array<{ filename: string }>;
  const tarball = join(root, packed[0]!.filename);

  const install = blocksOf(GUIDE).find((b) => b.lang === 'sh');
  if (!install || !/^npm install @wizamart\/observability$/m.test(install.code)) {
    throw new Error(`${GUIDE}: the first sh block must be the install, with \`npm install @wizamart/observability\`; got:\n${install?.code}`);
  }
  const folder = /^mkdir (\S+)/m.exec(install.code)?.[1];
  if (!folder) throw new Error(`${GUIDE}: the install block starts in a new folder (mkdir <name>)`);
  // The one substitution: the tarball instead of the registry's copy.
  const script = install.code.replace(/^npm install @wizamart\/observability$/m, `npm install ${tarball}`);
  const { stderr } = await run('sh', ['-e', '-c', script], root);
  return { root, tarball, app: join(root, folder), installStderr: stderr };
}

/** Disk usage of a tree in bytes, as `du` counts it (allocated blocks, each inode once). */
export function diskUsage(path: string, seen = new Set<number>()): number {
  const stat = lstatSync(path);
  if (seen.has(stat.ino)) return 0;
  seen.add(stat.ino);
  let bytes = stat.blocks * 512;
  if (stat.isDirectory()) for (const name of readdirSync(path)) bytes += diskUsage(join(path, name), seen);
  return bytes;
}

/** Installed packages, from npm's own record of the tree. */
export function packageCount(app: string): number {
  const lock = JSON.parse(readFileSync(join(app, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  return Object.keys(lock.packages).filter((key) => key.startsWith('node_modules/')).length;
}
