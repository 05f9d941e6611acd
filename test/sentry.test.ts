// Sentry through the facade, in real processes, against a local receiver.

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isValidDsn } from '../src/sentry/dsn.ts';
import { startNode } from './helpers/process.ts';
import { startSentryReceiver, type SentryReceiver } from './helpers/sentry-receiver.ts';

function script(code: string, env: NodeJS.ProcessEnv = {}) {
  return startNode(['--input-type=module', '-e', `
    import { initObservability, shutdownObservability, sentry } from '@wizamart/observability';
    ${code}
  `], { OBSERVABILITY_SERVER: 'false', ...env });
}

describe('sentry facade', () => {
  let receiver: SentryReceiver;
  before(async () => { receiver = await startSentryReceiver(); });
  after(() => receiver.close());

  it('without a DSN: captures return undefined, @sentry/node is never loaded, nothing is sent', async () => {
    const before = receiver.requests;
    const child = script(`
      import { createRequire } from 'node:module';
      await initObservability();
      const ids = [sentry.captureException(new Error('no dsn')), sentry.captureMessage('no dsn', 'warning')];
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('@sentry'));
      console.log(JSON.stringify({ ids, enabled: sentry.isEnabled(), loaded }));
      await shutdownObservability();
    `);
    const { code } = await child.exited();
    assert.equal(code, 0, child.stderr());
    assert.deepEqual(JSON.parse(child.stdout()), { ids: [null, null], enabled: false, loaded: false });
    assert.equal(receiver.requests, before);
  });

  it('with SENTRY_DSN: events reach Sentry with their ids, environment and release', async () => {
    receiver.events.length = 0;
    const child = script(`
      await initObservability();
      const exceptionId = sentry.captureException(new Error('payment declined 4711'));
      const messageId = sentry.captureMessage('User reached rate limit', 'warning');
      console.log(JSON.stringify({ exceptionId, messageId }));
      await shutdownObservability();
    `, { SENTRY_DSN: receiver.dsn, ENVIRONMENT: 'staging', SENTRY_RELEASE: 'shop@1.2.3' });
    const { code } = await child.exited();
    assert.equal(code, 0, child.stderr());
    const { exceptionId, messageId } = JSON.parse(child.stdout()) as { exceptionId: string; messageId: string };
    assert.match(exceptionId, /^[0-9a-f]{32}$/);
    const events = await receiver.waitForEvents(2);
    const exception = events.find((e) => e.event_id === exceptionId);
    const message = events.find((e) => e.event_id === messageId);
    assert.equal(exception?.exception?.values?.[0]?.value, 'payment declined 4711');
    assert.equal(exception?.environment, 'staging');
    assert.equal(exception?.release, 'shop@1.2.3');
    assert.equal(message?.message, 'User reached rate limit');
    assert.equal(message?.level, 'warning');
  });

  for (const dsn of ['not-a-dsn', 'https://secretkey0123@sentry.example', 'https://secretkey0123@sentry.example/project', 'ftp://secretkey0123@sentry.example/1']) {
    it(`an invalid DSN (${dsn.replace('secretkey0123', '<key>')}) is one warning, ours, that never echoes the key; Sentry stays off`, async () => {
      const child = script(`
        await initObservability();
        console.log(String(sentry.captureException(new Error('x'))));
      `, { SENTRY_DSN: dsn });
      const { code } = await child.exited();
      assert.equal(code, 0);
      assert.equal(child.stdout(), 'undefined\n');
      // Before, Sentry's own parser printed `Invalid Sentry Dsn: <the DSN>` first, key and all.
      assert.equal(child.stderr(), '[@wizamart/observability] OBS_SENTRY_DSN: SENTRY_DSN is not a valid Sentry DSN (expected https://<key>@<host>/<project>); Sentry is off\n');
    });
  }

  it('DSN forms Sentry can use are accepted (secret, port, path prefix), and only those', () => {
    for (const dsn of ['https://abc@o1.ingest.sentry.io/42', 'http://abc:def@127.0.0.1:9000/1', 'https://abc@sentry.example/prefix/path/7']) {
      assert.ok(isValidDsn(dsn), dsn);
    }
    // A trailing slash leaves Sentry an empty project id (its endpoint becomes /api//…); a dash is not in its key pattern.
    for (const dsn of ['https://abc@sentry.example/7/', 'https://abc-def@sentry.example/7', 'https://sentry.example/7', '']) {
      assert.ok(!isValidDsn(dsn), dsn);
    }
  });

  it('an unhandled rejection is captured, flushed, and still ends the process with exit 1 as Node would', async () => {
    receiver.events.length = 0;
    const child = script(`
      await initObservability();
      setInterval(() => {}, 1000);
      Promise.reject(new Error('unhandled 9031'));
    `, { SENTRY_DSN: receiver.dsn });
    const { code } = await child.exited();
    assert.equal(code, 1);
    assert.match(child.stderr(), /Error: unhandled 9031/);
    const [event] = await receiver.waitForEvents(1);
    assert.equal(event?.exception?.values?.[0]?.value, 'unhandled 9031');
    assert.equal(event?.exception?.values?.[0]?.mechanism?.handled, false);
  });

  it('an app with its own unhandledRejection handler keeps running', async () => {
    receiver.events.length = 0;
    const child = script(`
      process.on('unhandledRejection', () => console.log('app handled it'));
      await initObservability();
      Promise.reject(new Error('handled by the app 5120'));
      setTimeout(async () => { await shutdownObservability(); console.log('still running'); }, 300);
    `, { SENTRY_DSN: receiver.dsn });
    const { code } = await child.exited();
    assert.equal(code, 0, child.stderr());
    assert.equal(child.stdout(), 'app handled it\nstill running\n');
    const [event] = await receiver.waitForEvents(1);
    assert.equal(event?.exception?.values?.[0]?.value, 'handled by the app 5120');
  });

  it('an uncaught exception is captured and flushed before the process exits 1', async () => {
    receiver.events.length = 0;
    const child = script(`
      await initObservability();
      setTimeout(() => { throw new Error('uncaught 7702'); }, 10);
    `, { SENTRY_DSN: receiver.dsn });
    const { code } = await child.exited();
    assert.equal(code, 1);
    const [event] = await receiver.waitForEvents(1);
    assert.equal(event?.exception?.values?.[0]?.value, 'uncaught 7702');
  });

  it('with Sentry unreachable, captures still return ids and shutdown stays bounded', async () => {
    const dead = createServer().listen(0, '127.0.0.1');
    await once(dead, 'listening');
    const { port } = dead.address() as AddressInfo;
    dead.close();
    const child = script(`
      await initObservability();
      const id = sentry.captureException(new Error('nobody listens'));
      const started = Date.now();
      await shutdownObservability();
      console.log(JSON.stringify({ id, shutdownMs: Date.now() - started }));
    `, { SENTRY_DSN: `http://k@127.0.0.1:${port}/1`, OBSERVABILITY_SHUTDOWN_GRACE_MS: '3000' });
    const { code } = await child.exited();
    assert.equal(code, 0, child.stderr());
    const { id, shutdownMs } = JSON.parse(child.stdout()) as { id: string; shutdownMs: number };
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.ok(shutdownMs <= 3_500, `shutdown took ${shutdownMs} ms with a 3000 ms grace period`);
  });
});
