// node:cluster: the primary serves OBSERVABILITY_PORT; the workers don't listen at all and
// answer the primary over the cluster's IPC channel (prom-client's AggregatorRegistry uses
// a second port). What is asked and how answers are aggregated is hub.ts.
//
// A worker says hello when its SDK starts and the primary welcomes it. A worker that gets
// no welcome (its primary does not run the SDK: PM2's daemon, or a primary started
// without the preload) falls back to siblings.ts.

import cluster, { type Worker } from 'node:cluster';
import { withDeadline } from '../deadline.ts';
import type { Snapshot } from './aggregate.ts';
import { answer, createHub, type Hub, type HubOptions, type ReporterOptions } from './hub.ts';
import { isObsMessage, message, type ObsMessage } from './messages.ts';
import { pack } from './wire.ts';

export interface ClusterPrimary extends Hub {
  /**
   * Passes a shutdown signal on to every worker that runs the SDK, so each drains and
   * flushes as a process of its own would, and resolves when they have exited (or after
   * `ms`). Without it, a worker exits at once when its primary goes, cutting its requests.
   * With no signal, only waits: the workers got it themselves (Ctrl-C reaches the whole
   * process group, and a second SIGINT would tell them to skip their drain).
   */
  drainWorkers(signal: NodeJS.Signals | undefined, ms: number): Promise<void>;
}

/** In the primary: a hub whose peers are the cluster's workers. */
export function startClusterPrimary(options: HubOptions): ClusterPrimary {
  const hub = createHub(options);
  const withSdk = new Map<string, Worker>();
  const onMessage = (worker: Worker, received: unknown): void => {
    if (!isObsMessage(received)) return;
    if (received.kind === 'hello') {
      withSdk.set(String(worker.id), worker);
      hub.join(String(worker.id), (sent) => send(worker, sent));
    } else hub.receive(String(worker.id), received);
  };
  const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    withSdk.delete(String(worker.id));
    hub.leave(String(worker.id), signal ? `was killed by ${signal}` : `exited with code ${code}`);
  };
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  // The primary's SDK may start after its workers': ask who is there.
  for (const worker of Object.values(cluster.workers ?? {})) if (worker) send(worker, message({ kind: 'who' }));
  return {
    ...hub,
    async drainWorkers(signal, ms) {
      const exits = [...withSdk.values()].filter((worker) => !worker.isDead()).map((worker) => {
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        // The signal itself, not worker.kill(): that would first disconnect the channel the drain still uses.
        if (signal) worker.process.kill(signal);
        return exited;
      });
      await withDeadline(Promise.all(exits).then(() => undefined), ms, () => undefined);
    },
    stop() {
      cluster.removeListener('message', onMessage);
      cluster.removeListener('exit', onExit);
      hub.stop();
    },
  };
}

/** How long a worker waits for the primary's welcome before it concludes no primary serves. */
export const WELCOME_WAIT_MS = 1_000;

export interface ClusterWorker {
  /**
   * Resolves true when the primary welcomed this worker (it serves the port), false when
   * none did within WELCOME_WAIT_MS.
   */
  readonly welcomed: Promise<boolean>;
  /** Sends the primary what this worker counted last; resolves once the primary has it (or it cannot be sent). */
  bye(snapshot: Snapshot): Promise<void>;
  stop(): void;
}

/** In a worker: says hello, then answers the primary's questions. */
export function startClusterWorker(options: ReporterOptions): ClusterWorker {
  const from = String(cluster.worker?.id ?? process.pid);
  let welcome: (yes: boolean) => void = () => {};
  const welcomed = new Promise<boolean>((resolve) => { welcome = resolve; });
  const timer = setTimeout(() => welcome(false), WELCOME_WAIT_MS);
  let byeReceived: () => void = () => {};
  timer.unref(); // a worker that is done anyway need not wait for an answer
  const onMessage = (received: unknown): void => {
    if (!isObsMessage(received)) return;
    if (received.kind === 'welcome') {
      clearTimeout(timer);
      welcome(true);
    } else if (received.kind === 'bye-received') byeReceived();
    else answer(received, from, options, reply);
  };
  // A cluster worker's IPC channel already keeps it alive; listening adds nothing to that.
  process.on('message', onMessage);
  reply(message({ kind: 'hello', from }));
  return {
    welcomed,
    bye: (snapshot) => new Promise((resolve) => {
      if (!process.connected || !process.send) return resolve();
      byeReceived = resolve;
      process.send(message({ kind: 'bye', from, snapshot: pack(snapshot) }), undefined, {}, (error) => { if (error) resolve(); });
    }),
    stop: () => {
      clearTimeout(timer);
      welcome(false);
      process.removeListener('message', onMessage);
    },
  };
}

function reply(sent: ObsMessage): void {
  if (!process.connected || !process.send) return;
  // The callback takes the error of a channel closing meanwhile (the primary exiting).
  process.send(sent, undefined, {}, () => {});
}

function send(worker: Worker, sent: ObsMessage): boolean {
  if (!worker.isConnected()) return false;
  try {
    worker.send(sent, undefined, () => {});
    return true;
  } catch {
    return false;
  }
}
