// The one service identity, resolved once per initObservability() and shared by traces,
// /metrics' target_info and OTLP metrics, so every signal names the same service.
//
// service.name: the explicit option, else OTEL_SERVICE_NAME, else the name in the app's
// package.json (the nearest one walking up from the working directory, where a service is
// started from), else the spec's 'unknown_service:node'.
// Precedence of attributes, lowest first: SDK defaults, detected attributes,
// OTEL_RESOURCE_ATTRIBUTES, then what the caller resolved explicitly (service.name,
// deployment.environment.name, service.version): explicit options win throughout.
//
// Detectors: only those that read this machine (environment, host, OS, process, instance
// id, container cgroup) run by default. Cloud detectors probe metadata addresses off the
// machine: slow off-cloud and never acceptable unless the operator names them in
// OTEL_NODE_RESOURCE_DETECTORS; even 'all' means all *local* detectors here.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Resource, ResourceDetector } from '@opentelemetry/resources';
import { installHint, isNotInstalled } from './optional.ts';
import { load } from './telemetry/load.ts';
import { readKeyValues, readList, readString, type Env } from './telemetry/env.ts';
import type { Warn } from './warnings.ts';

type Resources = typeof import('@opentelemetry/resources');
type Container = typeof import('@opentelemetry/resource-detector-container');

export const UNKNOWN_SERVICE = 'unknown_service:node';
const SERVICE_INSTANCE_ID = 'service.instance.id';

export interface ResourceInput {
  /** The serviceName option; undefined: OTEL_SERVICE_NAME, then package.json. */
  serviceName: string | undefined;
  environment: string;
  release: string | undefined;
  env: Env;
  warn: Warn;
}

/** The resource every signal carries. */
export function resolveResource(input: ResourceInput): Resource {
  const { defaultResource, detectResources, resourceFromAttributes } = load('@opentelemetry/resources') as Resources;
  const choice = chooseDetectors(input.env, input.warn);
  let resource = defaultResource();
  if (choice.detectors.length > 0) resource = resource.merge(detectResources({ detectors: choice.detectors }));
  if (choice.env) resource = resource.merge(resourceFromAttributes(readKeyValues(input.env, 'OTEL_RESOURCE_ATTRIBUTES', input.warn)));
  // One per process, always: pushes from the processes of one service (cluster workers, pods)
  // are told apart by it, and /metrics' target_info names the same one. The serviceinstance
  // detector sets it too, but only when OTEL_NODE_RESOURCE_DETECTORS keeps it.
  if (resource.attributes[SERVICE_INSTANCE_ID] === undefined) {
    resource = resource.merge(resourceFromAttributes({ [SERVICE_INSTANCE_ID]: randomUUID() }));
  }
  const explicit: Record<string, string> = {
    'service.name': resolveServiceName(input.serviceName, input.env),
    'deployment.environment.name': input.environment,
  };
  if (input.release) explicit['service.version'] = input.release;
  return resource.merge(resourceFromAttributes(explicit));
}

export function resolveServiceName(explicit: string | undefined, env: Env, cwd: string = process.cwd()): string {
  const name = explicit?.trim() || readString(env, 'OTEL_SERVICE_NAME') || packageNameNear(cwd);
  return name || UNKNOWN_SERVICE;
}

/** The `name` of the nearest package.json at or above `start`; undefined if none has one. */
export function packageNameNear(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const name = readPackageName(join(dir, 'package.json'));
    if (name !== null) return name;
    if (dirname(dir) === dir) return undefined;
  }
}

// null: no readable package.json here (keep walking); undefined: found one without a name (stop).
function readPackageName(file: string): string | undefined | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const name: unknown = (JSON.parse(text) as { name?: unknown }).name;
    return typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** 'env' is not listed: OTEL_RESOURCE_ATTRIBUTES is read from `input.env` above. */
const LOCAL: Record<string, () => ResourceDetector[]> = {
  host: () => [(load('@opentelemetry/resources') as Resources).hostDetector],
  os: () => [(load('@opentelemetry/resources') as Resources).osDetector],
  process: () => [withoutCommandLine((load('@opentelemetry/resources') as Resources).processDetector)],
  serviceinstance: () => [(load('@opentelemetry/resources') as Resources).serviceInstanceIdDetector],
  container: () => [(load('@opentelemetry/resource-detector-container') as Container).containerDetector],
};

/**
 * The process detector without the command line: it is served in target_info on /metrics
 * and sent with every span, and command lines carry secrets (`--db-password=…`) as often
 * as anything. The executable, pid and runtime stay.
 */
function withoutCommandLine(detector: ResourceDetector): ResourceDetector {
  return {
    detect(config) {
      const { attributes = {}, ...rest } = detector.detect(config);
      const { 'process.command_args': _args, 'process.command_line': _line, ...kept } = attributes;
      return { ...rest, attributes: kept };
    },
  };
}

/** Optional peer dependencies (optional.ts), loaded only when named: each package exports its detectors as `...Detector` values. */
const CLOUD: Record<string, string> = {
  aws: '@opentelemetry/resource-detector-aws',
  gcp: '@opentelemetry/resource-detector-gcp',
  azure: '@opentelemetry/resource-detector-azure',
  alibaba: '@opentelemetry/resource-detector-alibaba-cloud',
};

export const DEFAULT_DETECTORS = ['env', 'host', 'os', 'process', 'serviceinstance', 'container'];

export interface DetectorChoice {
  /** Whether OTEL_RESOURCE_ATTRIBUTES is applied. */
  env: boolean;
  detectors: ResourceDetector[];
}

export function chooseDetectors(env: Env, warn: Warn): DetectorChoice {
  let names = readList(env, 'OTEL_NODE_RESOURCE_DETECTORS') ?? DEFAULT_DETECTORS;
  if (names.includes('none')) return { env: false, detectors: [] };
  if (names.includes('all')) names = [...DEFAULT_DETECTORS, ...names.filter((n) => n in CLOUD)];
  const unknown = names.filter((n) => n !== 'env' && !(n in LOCAL) && !(n in CLOUD));
  if (unknown.length > 0) {
    warn('OBS_OTEL_ENV', `OTEL_NODE_RESOURCE_DETECTORS: unknown detector(s) ${unknown.join(', ')} ignored; known: `
      + `${['env', ...Object.keys(LOCAL), ...Object.keys(CLOUD)].join(', ')}`);
  }
  const detectors: ResourceDetector[] = [];
  for (const name of new Set(names)) {
    const local = LOCAL[name];
    if (local) detectors.push(...local());
    const cloud = CLOUD[name];
    if (cloud) detectors.push(...loadCloud(cloud, name, warn));
  }
  return { env: names.includes('env'), detectors };
}

function loadCloud(pkg: string, name: string, warn: Warn): ResourceDetector[] {
  try {
    const exports = load(pkg) as Record<string, unknown>;
    return Object.entries(exports)
      .filter(([key, value]) => key.endsWith('Detector') && typeof value === 'object' && value !== null)
      .map(([, value]) => value as ResourceDetector);
  } catch (error) {
    if (isNotInstalled(error, pkg)) {
      warn('OBS_PACKAGE_MISSING', `OTEL_NODE_RESOURCE_DETECTORS: '${name}' needs ${pkg}, which is not installed; `
        + `the ${name} detector is off (${installHint(pkg)})`);
    } else {
      warn('OBS_PACKAGE_MISSING', `OTEL_NODE_RESOURCE_DETECTORS: ${pkg} failed to load (${(error as Error).message}); the ${name} detector is off`);
    }
    return [];
  }
}
