// Which part this process or thread plays in the service, decided once at start-up from
// facts Node gives (argv, cluster, worker_threads, the environment), so the preload
// knows whether to serve OBSERVABILITY_PORT, report to whoever serves it, or do nothing.
//
//   launcher  npm, npx, yarn, pnpm, corepack, nodemon: a tool that inherited NODE_OPTIONS
//             and will start the app as a child. Nothing starts here (no server, no
//             telemetry, no signal handling): the app it launches does all of that.
//   worker    a node:cluster worker: no server; its metrics and health checks go to the
//             primary over the cluster's IPC channel (src/processes/cluster.ts).
//   thread    a worker_threads thread: no server, no signals; what it records through
//             the facade goes to the main thread (src/processes/threads.ts).
//   main      everything else: a single process, or a cluster primary. It serves.
//
// npm sets npm_lifecycle_event and friends in the launcher and in the app it starts
// alike, so the environment cannot tell them apart; the script being run can.

import cluster from 'node:cluster';
import { isMainThread, threadId } from 'node:worker_threads';

export type ProcessRole =
  | { kind: 'launcher'; tool: string }
  | { kind: 'worker'; id: string }
  | { kind: 'thread'; id: string }
  | { kind: 'main' };

/**
 * Launchers by the file name of the script Node runs (process.argv[1]). Node does not
 * resolve symlinks in argv[1], so both the package's real script (`npm-cli.js`) and the
 * links on PATH (`/usr/bin/npm`, `node_modules/.bin/pnpm`) are listed.
 */
const LAUNCHER_SCRIPTS: Readonly<Record<string, string>> = {
  'npm': 'npm', 'npm-cli.js': 'npm',
  'npx': 'npx', 'npx-cli.js': 'npx',
  'yarn': 'yarn', 'yarnpkg': 'yarn', 'yarn.js': 'yarn', 'yarn.cjs': 'yarn',
  'pnpm': 'pnpm', 'pnpm.cjs': 'pnpm', 'pnpm.mjs': 'pnpm', 'pnpx': 'pnpx', 'pnpx.cjs': 'pnpx',
  'corepack': 'corepack', 'corepack.js': 'corepack', 'corepack.cjs': 'corepack',
  'nodemon': 'nodemon',
};

/** Yarn 2+ runs a checked-in release, e.g. `.yarn/releases/yarn-4.5.0.cjs`. */
const YARN_RELEASE = /(^|[\\/])\.yarn[\\/]releases[\\/]yarn-[^\\/]*\.c?js$/;
/** The same tools installed as packages, whatever the entry file is called. */
const LAUNCHER_PACKAGE = /[\\/]node_modules[\\/](npm|yarn|pnpm|corepack|nodemon)[\\/]/;

export interface RoleFacts {
  /** The script Node runs: process.argv[1]. */
  script: string | undefined;
  isClusterWorker: boolean;
  clusterWorkerId: number | undefined;
  isMainThread: boolean;
  threadId: number;
}

export function currentFacts(): RoleFacts {
  return {
    script: process.argv[1],
    isClusterWorker: cluster.isWorker,
    clusterWorkerId: cluster.worker?.id,
    isMainThread,
    threadId,
  };
}

export function detectRole(facts: RoleFacts = currentFacts()): ProcessRole {
  // A thread runs the preload with its parent's argv; whatever the process is, the thread reports to it.
  if (!facts.isMainThread) return { kind: 'thread', id: String(facts.threadId) };
  const tool = launcherOf(facts.script);
  if (tool !== undefined) return { kind: 'launcher', tool };
  if (facts.isClusterWorker) return { kind: 'worker', id: String(facts.clusterWorkerId ?? process.pid) };
  return { kind: 'main' };
}

/** The launcher's name when `script` is one of the tools above. */
export function launcherOf(script: string | undefined): string | undefined {
  if (!script) return undefined;
  const base = script.split(/[\\/]/).pop() ?? '';
  const byName = Object.hasOwn(LAUNCHER_SCRIPTS, base) ? LAUNCHER_SCRIPTS[base] : undefined;
  if (byName !== undefined) return byName;
  if (YARN_RELEASE.test(script)) return 'yarn';
  return LAUNCHER_PACKAGE.exec(script)?.[1];
}
