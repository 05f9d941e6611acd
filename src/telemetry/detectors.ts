// Which resource detectors run. Only detectors that read this machine (environment, host,
// OS, process, instance id, container cgroup) run by default. Cloud detectors probe metadata
// addresses off the machine: slow off-cloud and never acceptable unless the operator names
// them in OTEL_NODE_RESOURCE_DETECTORS — even 'all' means all *local* detectors here.

import type { ResourceDetector } from '@opentelemetry/resources';
import { load } from './load.ts';
import { readList, type Env, type Warn } from './env.ts';

type Resources = typeof import('@opentelemetry/resources');
type Container = typeof import('@opentelemetry/resource-detector-container');

/** 'env' is not listed: OTEL_RESOURCE_ATTRIBUTES is read from `options.env` by resource.ts. */
const LOCAL: Record<string, () => ResourceDetector[]> = {
  host: () => [(load('@opentelemetry/resources') as Resources).hostDetector],
  os: () => [(load('@opentelemetry/resources') as Resources).osDetector],
  process: () => [(load('@opentelemetry/resources') as Resources).processDetector],
  serviceinstance: () => [(load('@opentelemetry/resources') as Resources).serviceInstanceIdDetector],
  container: () => [(load('@opentelemetry/resource-detector-container') as Container).containerDetector],
};

/** Loaded only when named: each package exports its detectors as `...Detector` values. */
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
    warn(`OTEL_NODE_RESOURCE_DETECTORS: unknown detector(s) ${unknown.join(', ')} ignored; known: ` +
      `${['env', ...Object.keys(LOCAL), ...Object.keys(CLOUD)].join(', ')}`);
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
  } catch {
    warn(`OTEL_NODE_RESOURCE_DETECTORS: '${name}' needs ${pkg}, which is not installed; skipped`);
    return [];
  }
}
