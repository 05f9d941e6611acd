// Real child processes started with the built preload, and ways to wait on them.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const REGISTER = fileURLToPath(new URL('../../register.js', import.meta.url));

/**
 * The flags that let a child load .ts files as the test runner does: Node 22.15 (the
 * minimum supported, in CI) strips types only with --experimental-strip-types.
 */
export const TYPESCRIPT_FLAGS: readonly string[] = process.execArgv.filter(
  (flag) => flag === '--experimental-strip-types' || flag.startsWith('--no-warnings'));

export interface Child {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`, or rejects when the process exits or time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>;
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
}

export function startNode(args: string[], env: NodeJS.ProcessEnv = {}, cwd: string = ROOT): Child {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    async waitFor(pattern, timeoutMs = 15_000, stream = 'stdout') {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const match = (stream === 'stdout' ? out : err).match(pattern);
        if (match) return match;
        if (child.exitCode !== null || child.signalCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no ${pattern} in the ${stream} of ${args.join(' ')}\nstdout: ${out}\nstderr: ${err}`);
    },
    async exited(timeoutMs = 15_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exit;
      } finally {
        clearTimeout(timer);
      }
    },
    kill: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); },
  };
}
