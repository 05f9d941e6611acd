// Unhandled rejections with a DSN end exactly as they do in plain node, in every
// --unhandled-rejections mode, whatever handlers the app has; and each is captured once.
// Real processes: plain node against the preload with a DSN, side by side.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { unhandledRejectionsMode } from '../src/sentry/rejections.ts';
import { REGISTER, startNode } from './helpers/process.ts';
import { startSentryReceiver, type SentryReceiver } from './helpers/sentry-receiver.ts';

const MODES = ['default', 'throw', 'strict', 'warn', 'warn-with-error-code', 'none'] as const;
const HANDLERS = ['none', 'uncaughtException', 'unhandledRejection'] as const;

/** Rejects once, with the app's handlers (if any) printing what Node gives them. */
const APP = `
  const handler = process.env.APP_HANDLER;
  if (handler === 'uncaughtException') process.on('uncaughtException', (error, origin) => console.log('uncaughtException ' + origin + ' ' + error.message));
  if (handler === 'unhandledRejection') process.on('unhandledRejection', (reason) => console.log('unhandledRejection ' + reason.message));
  Promise.reject(new Error(process.env.MESSAGE));
  setTimeout(() => console.log('still running'), Number(process.env.STILL_RUNNING_AFTER_MS));
`;

// Where Node crashes at once, the SDK first flushes the event (Sentry's fatal handler waits up
// to its 2 s shutdownTimeout): the "still running" line must come later than that.
const STILL_RUNNING_AFTER_MS = '2500';

interface Outcome { code: number | null; stdout: string; printed: boolean }

async function outcome(withSdk: string | undefined, mode: (typeof MODES)[number], handler: (typeof HANDLERS)[number], message: string): Promise<Outcome> {
  const args = [
    ...(mode === 'default' ? [] : [`--unhandled-rejections=${mode}`]),
    ...(withSdk ? ['--import', REGISTER] : []),
    '-e', APP,
  ];
  const child = startNode(args, {
    APP_HANDLER: handler, MESSAGE: message, STILL_RUNNING_AFTER_MS, OBSERVABILITY_SERVER: 'false', ...(withSdk ? { SENTRY_DSN: withSdk } : {}),
  });
  const { code } = await child.exited(15_000);
  return { code, stdout: child.stdout(), printed: child.stderr().includes(message) };
}

/**
 * Some Node versions (22.15 among them; 22.23 and 24 are fixed) abort (SIGABRT, an async-hooks
 * assertion) when an 'uncaughtException' handler does file I/O after a strict-mode rejection
 * — plain node, no SDK. Sentry's fatal handler is such a handler (it reads source files for
 * context lines while it flushes), so on those versions a strict-mode crash ends in that
 * abort instead of exit 1. Probed here with plain node, so the test knows which Node it runs.
 */
function nodeAbortsOnIoAfterStrictRejection(): boolean {
  const probe = spawnSync(process.execPath, ['--unhandled-rejections=strict', '-e', `
    process.on('uncaughtException', async () => { await require('node:fs/promises').readFile(process.execPath, { length: 1 }).catch(() => {}); process.exit(1); });
    Promise.reject(new Error('probe'));
  `], { encoding: 'utf8' });
  return probe.signal === 'SIGABRT';
}

describe('unhandled rejections with a DSN: Node\'s semantics in every mode', () => {
  const abortsOnIo = nodeAbortsOnIoAfterStrictRejection();
  let receiver: SentryReceiver;
  before(async () => { receiver = await startSentryReceiver(); });
  after(() => receiver.close());

  for (const mode of MODES) {
    it(`--unhandled-rejections=${mode}: exit code, the app's handlers and stderr as in plain node; one event each`, async (t) => {
      // Each case in parallel within a mode: 3 plain-node and 3 preloaded processes.
      await Promise.all(HANDLERS.map(async (handler) => {
        const message = `rejected ${mode} ${handler}`;
        const [plain, preloaded] = await Promise.all([outcome(undefined, mode, handler, message), outcome(receiver.dsn, mode, handler, message)]);
        if (abortsOnIo && mode === 'strict' && preloaded.code === null) {
          // Node's own abort (see above), on the SDK's next file read: up to there it went as in plain node.
          t.diagnostic(`Node ${process.version} aborts on file I/O after a strict-mode rejection (handler ${handler}): SIGABRT instead of ${plain.code}`);
          assert.ok(plain.stdout.startsWith(preloaded.stdout), `handler ${handler}: ${JSON.stringify({ plain, preloaded })}`);
          assert.equal(preloaded.printed, plain.printed);
          return;
        }
        assert.deepEqual(preloaded, plain, `handler ${handler}`);
        const deadline = Date.now() + 5_000;
        const captured = () => receiver.events.filter((event) => event.exception?.values?.[0]?.value === message);
        while (captured().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        // Let a duplicate (the uncaught-exception path seeing the same error) arrive if there is one.
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(captured().length, 1, `handler ${handler}: events ${JSON.stringify(captured().map((e) => e.exception?.values?.[0]?.mechanism))}`);
        assert.equal(captured()[0]!.exception?.values?.[0]?.mechanism?.handled, false);
      }));
    });
  }
});

it('the mode is read from the command line (both spellings), else NODE_OPTIONS, else throw', () => {
  assert.equal(unhandledRejectionsMode([], ''), 'throw');
  assert.equal(unhandledRejectionsMode(['--unhandled-rejections=strict'], ''), 'strict');
  assert.equal(unhandledRejectionsMode(['--unhandled-rejections', 'warn'], ''), 'warn');
  assert.equal(unhandledRejectionsMode([], '--import x --unhandled-rejections=none'), 'none');
  assert.equal(unhandledRejectionsMode(['--unhandled-rejections=strict'], '--unhandled-rejections=none'), 'strict');
  assert.equal(unhandledRejectionsMode(['--unhandled-rejections=warn', '--unhandled-rejections=strict'], ''), 'strict');
});
