// SIGTERM with keep-alive clients, in a real process under the built preload, modelled on
// what Kubernetes does: 20 clients on node:http Agents with keepAlive load a hello-world
// "pod" without pause; it is sent SIGTERM with a 1 s drain, and half-way through the drain
// its endpoint is removed: from then on a client that opens a NEW connection reaches
// another pod (a plain server in this process), while existing keep-alive connections
// stay routed to the terminating pod (endpoint removal affects new connections only).
// Those connections must not lose a request: from the drain on every response says
// `Connection: close`, the client reconnects (to the other pod), and the app's servers
// close only once their connections have ended. Every request is counted; any error is a
// lost request. Both ways an app ends: the preload's own signal handling, and the app's
// own SIGTERM handler that closes its server later.

import assert from 'node:assert/strict';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { REGISTER, startNode, type Child } from './helpers/process.ts';

const CLIENTS = 20;
const DRAIN_MS = 1_000;
const ENDPOINT_REMOVED_AFTER_MS = DRAIN_MS / 2;

interface Outcome {
  /** Answered by the terminating pod, before and after SIGTERM. */
  podBefore: number;
  podAfter: number;
  /** Of podAfter: responses that told the client to reconnect. */
  podAfterClose: number;
  /** Answered by the other pod after the client reconnected. */
  otherPod: number;
  lost: Map<string, number>;
}

function get(agent: Agent, port: number): Promise<{ connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ connection: res.headers.connection }));
      res.on('error', reject);
    });
    req.setTimeout(5_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('SIGTERM with 20 keep-alive clients loses no request', () => {
  const otherPod = createServer((_req, res) => res.end('other pod'));
  let otherPort = 0;
  before(async () => {
    await new Promise<void>((resolve) => otherPod.listen(0, '127.0.0.1', resolve));
    otherPort = (otherPod.address() as AddressInfo).port;
  });
  after(() => {
    otherPod.closeAllConnections();
    otherPod.close();
  });

  async function loadAcrossSigterm(env: NodeJS.ProcessEnv): Promise<{ outcome: Outcome; exit: Awaited<ReturnType<Child['exited']>> }> {
    const child = startNode(['--import', REGISTER, 'test/fixtures/keepalive-app.mjs'], {
      OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1', ENABLE_METRICS: 'true',
      OBSERVABILITY_DRAIN_DELAY_MS: String(DRAIN_MS), OBSERVABILITY_SHUTDOWN_GRACE_MS: '4000', ...env,
    });
    try {
      const [, portText] = await child.waitFor(/keepalive app listening on port (\d+)/);
      const podPort = Number(portText);
      const outcome: Outcome = { podBefore: 0, podAfter: 0, podAfterClose: 0, otherPod: 0, lost: new Map() };
      let signalled = false;
      let endpointRemoved = false;
      let stop = false;
      const client = async () => {
        const podAgent = new Agent({ keepAlive: true, maxSockets: 1 });
        const otherAgent = new Agent({ keepAlive: true, maxSockets: 1 });
        // Whether this client holds a connection to the terminating pod.
        let onPod = false;
        try {
          while (!stop) {
            const toPod: boolean = onPod || !endpointRemoved;
            try {
              onPod = toPod;
              const { connection } = await get(toPod ? podAgent : otherAgent, toPod ? podPort : otherPort);
              if (!toPod) outcome.otherPod++;
              else if (!signalled) outcome.podBefore++;
              else {
                outcome.podAfter++;
                if (connection === 'close') outcome.podAfterClose++;
              }
              if (connection === 'close') onPod = false;
            } catch (error) {
              onPod = false;
              const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
              outcome.lost.set(code, (outcome.lost.get(code) ?? 0) + 1);
            }
          }
        } finally {
          podAgent.destroy();
          otherAgent.destroy();
        }
      };
      const clients = Array.from({ length: CLIENTS }, client);
      // Every client settled into its keep-alive connection first.
      while (outcome.podBefore < CLIENTS * 20) await new Promise((resolve) => setTimeout(resolve, 20));
      signalled = true;
      child.process.kill('SIGTERM');
      const removal = setTimeout(() => { endpointRemoved = true; }, ENDPOINT_REMOVED_AFTER_MS);
      const exit = await child.exited(15_000);
      clearTimeout(removal);
      stop = true;
      await Promise.all(clients);
      return { outcome, exit };
    } finally {
      child.kill();
    }
  }

  function assertNothingLost(outcome: Outcome): void {
    const summary = JSON.stringify({ ...outcome, lost: Object.fromEntries(outcome.lost) });
    assert.deepEqual(Object.fromEntries(outcome.lost), {}, `requests lost across SIGTERM: ${summary}`);
    // The pod served through the drain, told its keep-alive clients to reconnect, and they did.
    assert.ok(outcome.podAfter >= CLIENTS, `the pod answered only ${outcome.podAfter} requests after SIGTERM: ${summary}`);
    assert.ok(outcome.podAfterClose >= CLIENTS, `fewer Connection: close responses than clients: ${summary}`);
    assert.ok(outcome.otherPod > 0, `no client reached the other pod: ${summary}`);
  }

  it('the preload handles the signal: drain, then the app servers close, exit by SIGTERM', async () => {
    const { outcome, exit } = await loadAcrossSigterm({});
    assertNothingLost(outcome);
    assert.deepEqual(exit, { code: null, signal: 'SIGTERM' });
  });

  it('the app handles SIGTERM itself and closes its server 1.5 s later: exit 0', async () => {
    const { outcome, exit } = await loadAcrossSigterm({ OWN_HANDLER: '1500' });
    assertNothingLost(outcome);
    assert.deepEqual(exit, { code: 0, signal: null });
  });
});
