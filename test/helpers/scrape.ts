// A real /metrics scrape of the demo app under the built preload, its exposition parsed
// into names and label names, and a loose PromQL reader, so the deploy kit's alerts and
// dashboard are checked against the names the SDK really emits, not names typed by hand.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { request } from './http.ts';
import { REGISTER, startNode } from './process.ts';

/** One sample line of the exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  text: string;
  samples: Sample[];
  /** `# TYPE` of each family (histogram families under their base name). */
  types: Map<string, string>;
  /** Sample name (`x_bucket`, `x_count`, plain gauges …) -> every label name seen on it. */
  labels: Map<string, Set<string>>;
  /** The `le` values, as the exposition spells them, of each `_bucket` sample name. */
  buckets: Map<string, string[]>;
}

/**
 * Labels Prometheus adds to every series of a target (static configs add job/instance; a
 * ServiceMonitor adds the Kubernetes ones). They are never in the exposition itself.
 */
export const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'service', 'container', 'endpoint']);

/** Series Prometheus synthesises per target on every scrape. */
export const SYNTHETIC_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_series_added']);

/** Parses text format 0.0.4 (the subset the SDK emits: no timestamps, escaped label values). */
export function parseExposition(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `an exposition line the parser understands: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  const labels = new Map<string, Set<string>>();
  const buckets = new Map<string, string[]>();
  for (const sample of samples) {
    const names = labels.get(sample.name) ?? new Set<string>();
    for (const name of Object.keys(sample.labels)) names.add(name);
    labels.set(sample.name, names);
    const le = sample.labels.le;
    if (sample.name.endsWith('_bucket') && le !== undefined) {
      const seen = buckets.get(sample.name) ?? [];
      if (!seen.includes(le)) seen.push(le);
      buckets.set(sample.name, seen);
    }
  }
  return { text, samples, types, labels, buckets };
}

export interface Demo {
  appUrl: string;
  /** The SDK's own server: /health, /metrics. */
  observabilityUrl: string;
  /** App requests (a matched route and a 404) and one run of the health checks. */
  traffic(): Promise<void>;
  /** GET /metrics as Prometheus' text format 0.0.4, parsed. */
  scrape(): Promise<Scrape>;
  stop(): Promise<void>;
}

/** Starts examples/demo/app.mjs under the built preload with metrics on, on loopback ports. */
export async function startDemo(): Promise<Demo> {
  assert.ok(existsSync(REGISTER), `${REGISTER} is missing: build first (npm run build)`);
  const app = startNode(['--import', REGISTER, 'examples/demo/app.mjs'], {
    PORT: '0', OBSERVABILITY_PORT: '0', OBSERVABILITY_HOST: '127.0.0.1', ENABLE_METRICS: 'true',
  });
  const stop = async () => {
    app.kill();
    await app.exited();
  };
  try {
    const [, appUrl] = await app.waitFor(/demo listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const observabilityUrl = await waitForStderr(app.stderr, /serving .* on (http:\/\/127\.0\.0\.1:\d+)/);
    return {
      appUrl: appUrl!,
      observabilityUrl,
      stop,
      async traffic() {
        assert.equal((await request(`${appUrl}/api/products/1`)).status, 200);
        assert.equal((await request(`${appUrl}/no-such-route`)).status, 404);
        await request(`${observabilityUrl}/health`); // health series exist once the checks have run
      },
      async scrape() {
        const reply = await request(`${observabilityUrl}/metrics`, { headers: { accept: 'text/plain;version=0.0.4' } });
        assert.equal(reply.status, 200, `GET /metrics: ${reply.text}`);
        return parseExposition(reply.text);
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A real scrape of the demo: app requests (a matched route and a 404), the health checks
 * run once (health series exist only after a run), /metrics as text format 0.0.4.
 */
export async function scrapeDemo(): Promise<Scrape> {
  const demo = await startDemo();
  try {
    await demo.traffic();
    return await demo.scrape();
  } finally {
    await demo.stop();
  }
}

async function waitForStderr(stderr: () => string, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(stderr());
    if (match) return match[1]!;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no ${pattern} on stderr: ${stderr()}`);
}

/** A metric name with the label names a PromQL expression (or a series) uses with it. */
export interface Selector {
  metric: string;
  labels: string[];
}

export interface PromqlNames {
  selectors: Selector[];
  /** Label names in by/without/on/ignoring/group_left/group_right clauses. */
  grouping: string[];
  /** Label names passed as string arguments to label_replace/label_join (created or read). */
  functionLabels: string[];
}

const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool',
  'offset', 'atan2', 'inf', 'nan', 'Inf', 'NaN',
]);

/**
 * A loose reading of PromQL: the metric names it selects (with the label names of their
 * matchers) and the label names it groups by. Not a parser: enough for the expressions of
 * a rules file or a dashboard, and it fails loudly on what it cannot place.
 */
export function promqlNames(expr: string): PromqlNames {
  const selectors: Selector[] = [];
  const grouping: string[] = [];
  const functionLabels: string[] = [];
  let rest = expr.replace(/#[^\n]*/g, ' ');
  // label_replace(v, "dst", "repl", "src", "regex") / label_join(v, "dst", "sep", "src"...):
  // the label names are strings; remember them before strings go.
  for (const call of rest.matchAll(/label_(?:replace|join)\s*\(/g)) {
    const strings = [...rest.slice(call.index).matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    if (call[0].startsWith('label_replace')) functionLabels.push(strings[0]!, strings[2]!);
    else functionLabels.push(strings[0]!, ...strings.slice(2));
  }
  // Selectors with matchers: name{...} or {__name__="..."}.
  rest = rest.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{((?:[^{}"]|"(?:[^"\\]|\\.)*")*)\}/g, (_, name: string | undefined, body: string) => {
    const labels: string[] = [];
    let metric = name;
    for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
      if (m[1] === '__name__') metric = m[3]!;
      else labels.push(m[1]!);
    }
    assert.ok(metric, `a metric name in the selector {${body}} of ${expr}`);
    selectors.push({ metric, labels });
    return ' ';
  });
  rest = rest.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _kw: string, list: string) => {
    grouping.push(...list.split(',').map((s) => s.trim()).filter(Boolean));
    return ' ';
  });
  rest = rest
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ') // strings
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:ms|[smhdwy])?\b/gi, ' '); // numbers and durations
  for (const m of rest.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = m[0];
    const after = rest.slice(m.index + word.length);
    if (KEYWORDS.has(word)) continue;
    if (/^\s*\(/.test(after)) continue; // a function or an aggregation
    selectors.push({ metric: word, labels: [] });
  }
  return { selectors, grouping, functionLabels };
}

/**
 * Problems with the names an expression uses, judged against a real scrape: every metric
 * must be a sample name of the scrape (or a series Prometheus makes itself), every label
 * matcher a label of that metric (or a target label), every grouping label a label of one
 * of the expression's metrics (or a target label or a label the expression creates).
 */
export function unknownNames(expr: string, scrape: Scrape, where: string): string[] {
  const { selectors, grouping, functionLabels } = promqlNames(expr);
  const problems: string[] = [];
  const usable = new Set<string>([...TARGET_LABELS, ...functionLabels]);
  if (selectors.length === 0) problems.push(`${where}: no metric found in ${JSON.stringify(expr)}`);
  for (const { metric, labels } of selectors) {
    const known = SYNTHETIC_SERIES.has(metric) ? new Set<string>() : scrape.labels.get(metric);
    if (!known) {
      problems.push(`${where}: metric ${metric} is not in the real scrape`);
      continue;
    }
    for (const label of known) usable.add(label);
    for (const label of labels) {
      if (!known.has(label) && !TARGET_LABELS.has(label)) problems.push(`${where}: ${metric} has no label ${label} in the real scrape`);
    }
  }
  for (const label of grouping) {
    if (!usable.has(label)) problems.push(`${where}: grouping label ${label} is on none of ${selectors.map((s) => s.metric).join(', ')}`);
  }
  return problems;
}

/** The path of a binary on PATH, or a failed assertion saying how to get it (CI installs it). */
export function requireBinary(binary: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir || '.', binary);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  assert.fail(`${binary} is not on PATH; these tests need it and do not skip without it (Debian/Ubuntu: apt-get install prometheus)`);
}

export interface ToolResult {
  code: number | null;
  output: string;
}

/** Runs a tool to completion, stdout and stderr together, killed after `timeoutMs`. */
export function run(binary: string, args: string[], timeoutMs = 15_000): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}
