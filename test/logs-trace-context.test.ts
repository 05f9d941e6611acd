// Log lines written inside a request carry that request's trace: pino and winston, ES
// module and CommonJS apps, under the built preload with spans going to a local receiver.
// With tracing off the same apps log as they always did.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startOtlpReceiver } from './helpers/otlp-receiver.ts';
import { REGISTER, startNode } from './helpers/process.ts';

interface LogLine { msg?: string; message?: string; trace_id?: string; span_id?: string; trace_flags?: string }

/** The JSON lines on stdout, keyed by which logger wrote them. */
function logLines(stdout: string): Record<'pino' | 'winston', LogLine> {
  const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as LogLine);
  const find = (text: string) => lines.find((line) => (line.msg ?? line.message) === text);
  const pino = find('pino in request');
  const winston = find('winston in request');
  assert.ok(pino && winston, stdout);
  return { pino, winston };
}

describe('logs carry trace ids', () => {
  for (const app of ['test/fixtures/logs-app.mjs', 'test/fixtures/logs-app.cjs']) {
    it(`${app}: pino and winston lines inside a request carry its trace_id, span_id and trace_flags`, async () => {
      const receiver = await startOtlpReceiver();
      try {
        const child = startNode(['--import', REGISTER, app], {
          OBSERVABILITY_SERVER: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        });
        const { code } = await child.exited();
        assert.equal(code, 0, child.stderr());
        const server = receiver.spans.find((span) => span.kind === 2 && span.attributes['url.path'] === '/orders');
        assert.ok(server, 'the request\'s server span reached the receiver');
        const expected = { trace_id: server.traceId, span_id: server.spanId, trace_flags: '01' };
        for (const [logger, line] of Object.entries(logLines(child.stdout()))) {
          assert.deepEqual({ trace_id: line.trace_id, span_id: line.span_id, trace_flags: line.trace_flags }, expected, logger);
        }
      } finally {
        await receiver.close();
      }
    });

    it(`${app}: with tracing off the lines are as without the SDK (no trace fields), and the app runs`, async () => {
      const child = startNode(['--import', REGISTER, app], { OBSERVABILITY_SERVER: 'false' });
      const { code } = await child.exited();
      assert.equal(code, 0, child.stderr());
      for (const [logger, line] of Object.entries(logLines(child.stdout()))) {
        assert.deepEqual([line.trace_id, line.span_id, line.trace_flags], [undefined, undefined, undefined], logger);
      }
    });
  }
});
