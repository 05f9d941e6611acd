// A local OTLP/HTTP metrics receiver for tests: accepts POST /v1/metrics on 127.0.0.1 as
// http/json, or as http/protobuf decoded with OpenTelemetry's own .proto definitions
// (opentelemetry-proto v1.7.0, as vendored in dd-trace, a dev dependency) through
// protobufjs, so a wrong encoding fails here as it would in a Collector.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { toRecord, type KeyValue } from './otlp-receiver.ts';

export interface ReceivedPoint {
  attributes: Record<string, unknown>;
  /** Sums and gauges. */
  value?: number;
  /** Histograms. */
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
}

export interface ReceivedMetric {
  name: string;
  description: string;
  kind: 'sum' | 'gauge' | 'histogram' | 'other';
  isMonotonic: boolean;
  /** 1 delta, 2 cumulative. */
  temporality: number | undefined;
  scope: string;
  points: ReceivedPoint[];
}

/** One export request. */
export interface Push {
  contentType: string;
  resource: Record<string, unknown>;
  metrics: ReceivedMetric[];
}

export interface MetricsReceiver {
  /** http://127.0.0.1:<port>, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  pushes: Push[];
  /** Requests received, answered or not. */
  readonly requests: number;
  waitFor(predicate: (push: Push) => boolean, timeoutMs?: number): Promise<Push>;
  close(): Promise<void>;
}

/** `hang`: accept every request and never answer (a collector that is stuck). */
export async function startMetricsReceiver({ hang = false } = {}): Promise<MetricsReceiver> {
  const pushes: Push[] = [];
  const waiters = new Set<() => void>();
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (hang) return;
      if (req.method !== 'POST' || req.url !== '/v1/metrics') {
        res.writeHead(404).end();
        return;
      }
      const contentType = req.headers['content-type'] ?? '';
      try {
        const body = Buffer.concat(chunks);
        const request = contentType.includes('protobuf') ? decodeProtobuf(body) : JSON.parse(body.toString('utf8')) as OtlpRequest;
        pushes.push(...flatten(request, contentType));
      } catch (error) {
        res.writeHead(400).end(String(error));
        return;
      }
      if (contentType.includes('protobuf')) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pushes,
    get requests() {
      return requests;
    },
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = pushes.find(predicate);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching push within ${timeoutMs} ms; got ${pushes.length}: ${JSON.stringify(pushes.map((p) => p.metrics.map((m) => m.name)))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** The value of `name`'s first point whose attributes include `attributes`, in a push. */
export function pointOf(push: Push, name: string, attributes: Record<string, unknown> = {}): ReceivedPoint | undefined {
  const metric = push.metrics.find((m) => m.name === name);
  return metric?.points.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
}

interface NumberPoint { attributes?: KeyValue[]; asDouble?: number; asInt?: string | number }
interface HistogramPoint { attributes?: KeyValue[]; count?: string | number; sum?: number; bucketCounts?: Array<string | number>; explicitBounds?: number[] }
interface OtlpMetric {
  name: string;
  description?: string;
  sum?: { dataPoints?: NumberPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  gauge?: { dataPoints?: NumberPoint[] };
  histogram?: { dataPoints?: HistogramPoint[]; aggregationTemporality?: number };
}
interface OtlpRequest {
  resourceMetrics?: Array<{ resource?: { attributes?: KeyValue[] }; scopeMetrics?: Array<{ scope?: { name?: string }; metrics?: OtlpMetric[] }> }>;
}

function flatten(request: OtlpRequest, contentType: string): Push[] {
  return (request.resourceMetrics ?? []).map((rm) => ({
    contentType,
    resource: toRecord(rm.resource?.attributes),
    metrics: (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).map((m) => toMetric(m, sm.scope?.name ?? ''))),
  }));
}

function toMetric(m: OtlpMetric, scope: string): ReceivedMetric {
  const base = { name: m.name, description: m.description ?? '', scope };
  const numbers = (points: NumberPoint[] = []): ReceivedPoint[] => points.map((p) => ({
    attributes: toRecord(p.attributes),
    value: p.asDouble ?? (p.asInt === undefined ? undefined : Number(p.asInt)),
  }));
  if (m.sum) return { ...base, kind: 'sum', isMonotonic: m.sum.isMonotonic ?? false, temporality: m.sum.aggregationTemporality, points: numbers(m.sum.dataPoints) };
  if (m.gauge) return { ...base, kind: 'gauge', isMonotonic: false, temporality: undefined, points: numbers(m.gauge.dataPoints) };
  if (m.histogram) {
    return {
      ...base,
      kind: 'histogram',
      isMonotonic: false,
      temporality: m.histogram.aggregationTemporality,
      points: (m.histogram.dataPoints ?? []).map((p) => ({
        attributes: toRecord(p.attributes),
        count: Number(p.count ?? 0),
        sum: p.sum,
        bucketCounts: (p.bucketCounts ?? []).map(Number),
        explicitBounds: p.explicitBounds ?? [],
      })),
    };
  }
  return { ...base, kind: 'other', isMonotonic: false, temporality: undefined, points: [] };
}

interface ProtoType { decode(bytes: Uint8Array): object; toObject(message: object, options: object): OtlpRequest }
let requestType: ProtoType | undefined;

function decodeProtobuf(body: Buffer): OtlpRequest {
  if (!requestType) {
    const require = createRequire(import.meta.url);
    const protobuf = require('protobufjs') as { Root: new () => { resolvePath: (origin: string, target: string) => string; loadSync(file: string): { lookupType(name: string): ProtoType } } };
    const protos = join(dirname(require.resolve('dd-trace/package.json')), 'packages/dd-trace/src/opentelemetry/otlp');
    const root = new protobuf.Root();
    // The vendored files import one another by bare name ("metrics.proto").
    root.resolvePath = (_origin, target) => join(protos, target.split('/').pop()!);
    requestType = root.loadSync('metrics_service.proto').lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
  }
  const message = requestType.decode(body);
  // enums as numbers, 64-bit integers as numbers, and oneof values kept only when set.
  return requestType.toObject(message, { longs: Number, enums: Number, defaults: false, oneofs: false, bytes: String });
}
