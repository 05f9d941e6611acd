// The messages the SDK exchanges between processes (cluster IPC) and threads
// (BroadcastChannel). Every one carries `obs: MESSAGE_TAG`, so the SDK's listeners ignore
// the app's messages, and an app's own `cluster.on('message')` handler can ignore ours.

import type { RemoteCheckResult } from '../health/registry.ts';
import type { Snapshot } from './aggregate.ts';
import type { PackedSnapshot } from './wire.ts';

export const MESSAGE_TAG = '@wizamart/observability';

export type ObsMessage =
  /** A worker's SDK started (or answers `who`): ask it at scrapes from now on. */
  | { obs: typeof MESSAGE_TAG; kind: 'hello'; from: string }
  /** The primary's answer to hello: it runs the SDK and serves the port. */
  | { obs: typeof MESSAGE_TAG; kind: 'welcome' }
  /** The serving side asks which workers run the SDK (it may start after them). */
  | { obs: typeof MESSAGE_TAG; kind: 'who' }
  | { obs: typeof MESSAGE_TAG; kind: 'ask-metrics' | 'ask-health'; id: number }
  /** A process's snapshot is packed (wire.ts); a thread's goes as it is. */
  | { obs: typeof MESSAGE_TAG; kind: 'metrics'; id: number; from: string; snapshot: Snapshot | PackedSnapshot }
  | { obs: typeof MESSAGE_TAG; kind: 'health'; id: number; from: string; checks: RemoteCheckResult[] }
  /** A thread that ends says what it counted last (threads come and go between scrapes). */
  | { obs: typeof MESSAGE_TAG; kind: 'bye'; from: string; snapshot: Snapshot | PackedSnapshot }
  /** The primary has a cluster worker's bye: the worker may exit (its exit can overtake a message still in the channel). */
  | { obs: typeof MESSAGE_TAG; kind: 'bye-received' };

export function isObsMessage(message: unknown): message is ObsMessage {
  return typeof message === 'object' && message !== null && (message as { obs?: unknown }).obs === MESSAGE_TAG;
}

/** A message's own fields, without the tag (Omit over each member of the union). */
type Fields<M> = M extends ObsMessage ? Omit<M, 'obs'> : never;

export function message(fields: Fields<ObsMessage>): ObsMessage {
  return { obs: MESSAGE_TAG, ...fields } as ObsMessage;
}
