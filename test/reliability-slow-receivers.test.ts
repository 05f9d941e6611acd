// Receivers that answer 200 and then trickle a byte at a time defeat idle timeouts. Every
// export and every Sentry send ends by an absolute deadline: the process that shut down
// exits, the failure is said once, naming the receiver, and later exports go through.
// Real processes under the built preload; the receivers are local servers.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import { REGISTER, startNode } from './helpers/process.ts';
import { startOtlpReceiver } from './helpers/otlp-receiver.ts';

/** One request, a pause longer than the export timeout, another request, then shutdown: the loop must empty. */
const APP = `
  import { createServer } from 'node:http';
  import { once } from 'node:events';
  import { setTimeout as sleep } from 'node:timers/promises';
  import { shutdownObservability } from '@wizamart/observability';
  const server = createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const get = async (path) => (await fetch('http://127.0.0.1:' + server.address().port + path)).text();
  await get('/first');
  await sleep(Number(process.env.PAUSE_MS));
  await get('/second');
  await sleep(600);
  server.close();
  await shutdownObservability();
  console.log('shut down');
`;

it('OTLP: a trickling receiver is cut at the export timeout; one warning; the next batch is delivered; the process exits', async () => {
  const receiver = await startOtlpReceiver({ trickleFirst: 1 });
  try {
    const child = startNode(['--import', REGISTER, '--input-type=module', '-e', APP], {
      OBSERVABILITY_SERVER: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      PAUSE_MS: '1800',
    });
    // A hang bound, not a timing: before the deadline, the trickle held the process open for good.
    const { code, signal } = await child.exited(15_000);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, child.stderr());
    assert.equal(child.stdout(), 'shut down\n');
    assert.equal(receiver.trickled, 1);
    const paths = receiver.spans.filter((span) => span.kind === 2).map((span) => span.attributes['url.path']);
    assert.deepEqual(paths, ['/second'], 'the batch after the stuck one is delivered');
    const warnings = child.stderr().split('\n').filter((line) => line.includes('OBS_'));
    assert.deepEqual(warnings, [`[@wizamart/observability] OBS_SPAN_EXPORT_FAILED: exporting spans to ${receiver.endpoint}/v1/traces failed `
      + '(no complete answer within 1000 ms); those spans are dropped, later batches are still tried']);
  } finally {
    await receiver.close();
  }
});

it('Sentry: a trickling ingest does not hold a process that shut down past the 5 s send deadline', async () => {
  let requests = 0;
  const ingest = createServer((req, res) => {
    requests++;
    req.resume();
    res.writeHead(200);
    const drip = setInterval(() => res.write(' '), 200);
    res.on('close', () => clearInterval(drip));
  }).listen(0, '127.0.0.1');
  await once(ingest, 'listening');
  try {
    const { port } = ingest.address() as AddressInfo;
    const child = startNode(['--import', REGISTER, '--input-type=module', '-e', `
      import { sentry, shutdownObservability } from '@wizamart/observability';
      sentry.captureException(new Error('sent to a trickling ingest'));
      await shutdownObservability();
      console.log('shut down');
    `], { OBSERVABILITY_SERVER: 'false', SENTRY_DSN: `http://key@127.0.0.1:${port}/1` });
    const { code, signal } = await child.exited(15_000);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, child.stderr());
    assert.equal(child.stdout(), 'shut down\n');
    assert.equal(requests, 1);
  } finally {
    ingest.closeAllConnections();
    ingest.close();
  }
});
