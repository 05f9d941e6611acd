// worker_threads: a thread inherits the preload (execArgv) but must not listen or handle
// signals; what it records through the facade belongs on its process's /metrics. Threads
// and their main thread talk over a BroadcastChannel (every thread of the process joins it
// by name; no handle has to be passed to `new Worker`, so piscina and plain Workers alike
// work without app code):
//
//   thread:  says hello when its SDK starts, answers each ask-metrics with its snapshot,
//            and says bye with its last snapshot when it ends (threads often live for one
//            job, between two scrapes)
//   main:    asks the threads that said hello at each scrape, waits at most a deadline;
//            a thread that misses it keeps its last numbers and is asked again next time
//            (a thread still loading, or busy, under load); one that misses
//            MISSES_BEFORE_GONE rounds in a row is taken as gone (terminate() skips its
//            bye), and what it last reported stays counted (aggregate.ts). A late answer
//            still counts.
//
// Both ends unref() the channel: it never keeps a thread or the process alive.

import { BroadcastChannel } from 'node:worker_threads';
import { withDeadline } from '../deadline.ts';
import { PeerBook, type Source, type Snapshot } from './aggregate.ts';
import { isObsMessage, message, type ObsMessage } from './messages.ts';
import { unpack } from './wire.ts';

export const CHANNEL_NAME = '@wizamart/observability:threads';

/**
 * Rounds in a row a thread may miss before it is taken as gone. One was too few: under load
 * (seen on Node 22.15 in CI) a thread that had just said hello missed its first round and
 * was never asked again, so its counts never reached /metrics or the push.
 */
const MISSES_BEFORE_GONE = 3;

export interface ThreadHub {
  /** The threads' latest metrics (and what ended ones counted), asked for now. */
  collect(): Promise<Source[]>;
  stop(): void;
}

/** In the main thread of a process. */
export function startThreadHub(deadlineMs: number): ThreadHub {
  const channel = new BroadcastChannel(CHANNEL_NAME);
  channel.unref();
  const live = new Set<string>();
  const book = new PeerBook();
  const misses = new Map<string, number>();
  let round: { id: number; waiting: Set<string>; done(): void } | undefined;
  let nextId = 1;

  channel.onmessage = (event: unknown) => {
    const received = (event as { data?: unknown }).data;
    if (!isObsMessage(received)) return;
    if (received.kind === 'hello') live.add(received.from);
    else if (received.kind === 'bye') {
      live.delete(received.from);
      misses.delete(received.from);
      book.update(received.from, `thread ${received.from}`, unpack(received.snapshot));
      book.depart(received.from);
      settle(received.from);
    } else if (received.kind === 'metrics' && live.has(received.from)) {
      // This round's answer, or a late one to an earlier round: either is its latest.
      book.update(received.from, `thread ${received.from}`, unpack(received.snapshot));
      misses.delete(received.from);
      if (received.id === round?.id) settle(received.from);
    }
  };
  const settle = (from: string): void => {
    if (round?.waiting.delete(from) && round.waiting.size === 0) round.done();
  };
  // The main thread's SDK may start after some threads': ask who is there.
  channel.postMessage(message({ kind: 'who' }));

  return {
    async collect() {
      if (live.size > 0 && round === undefined) {
        const id = nextId++;
        const waiting = new Set(live);
        const answered = new Promise<void>((resolve) => { round = { id, waiting, done: resolve }; });
        channel.postMessage(message({ kind: 'ask-metrics', id }));
        await withDeadline(answered, deadlineMs, () => undefined);
        round = undefined;
        for (const silent of waiting) {
          const missed = (misses.get(silent) ?? 0) + 1;
          if (missed < MISSES_BEFORE_GONE) {
            misses.set(silent, missed);
            continue;
          }
          misses.delete(silent);
          live.delete(silent);
          book.depart(silent);
        }
      }
      return book.sources();
    },
    stop() {
      round?.done();
      channel.close();
    },
  };
}

/** In a worker thread: hello now, answers, bye at exit. Returns the function that stops it. */
export function startThreadReporter(from: string, snapshot: () => Snapshot): () => void {
  const channel = new BroadcastChannel(CHANNEL_NAME);
  channel.unref();
  const post = (sent: ObsMessage): void => {
    try {
      channel.postMessage(sent);
    } catch {
      // closed: the thread is ending
    }
  };
  const safeSnapshot = (): Snapshot => {
    try {
      return snapshot();
    } catch {
      return { metrics: [], perProcess: [] };
    }
  };
  channel.onmessage = (event: unknown) => {
    const received = (event as { data?: unknown }).data;
    if (!isObsMessage(received)) return;
    if (received.kind === 'who') post(message({ kind: 'hello', from }));
    else if (received.kind === 'ask-metrics') post(message({ kind: 'metrics', id: received.id, from, snapshot: safeSnapshot() }));
  };
  const onExit = (): void => post(message({ kind: 'bye', from, snapshot: safeSnapshot() }));
  process.on('exit', onExit);
  post(message({ kind: 'hello', from }));
  return () => {
    process.removeListener('exit', onExit);
    onExit();
    channel.close();
  };
}
