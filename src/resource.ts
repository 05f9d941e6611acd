// The resource every span carries. Precedence, lowest first: SDK defaults, detected
// attributes, OTEL_RESOURCE_ATTRIBUTES, then what the caller resolved explicitly
// (service.name, deployment.environment.name, service.version), because explicit
// options win over the environment throughout this package.

import type { Resource } from '@opentelemetry/resources';
import { load } from './load.ts';
import { readKeyValues, type Env, type Warn } from './env.ts';
import { chooseDetectors } from './detectors.ts';

type Resources = typeof import('@opentelemetry/resources');

export interface ResourceInput {
  serviceName: string;
  environment: string;
  release: string | undefined;
  env: Env;
  warn: Warn;
}

export function buildResource(input: ResourceInput): Resource {
  const { defaultResource, detectResources, resourceFromAttributes } = (load('@opentelemetry/resources') as Resources);
  const choice = chooseDetectors(input.env, input.warn);
  let resource = defaultResource();
  if (choice.detectors.length > 0) resource = resource.merge(detectResources({ detectors: choice.detectors }));
  if (choice.env) resource = resource.merge(resourceFromAttributes(readKeyValues(input.env, 'OTEL_RESOURCE_ATTRIBUTES', input.warn)));
  const explicit: Record<string, string> = {
    'service.name': input.serviceName,
    'deployment.environment.name': input.environment,
  };
  if (input.release) explicit['service.version'] = input.release;
  return resource.merge(resourceFromAttributes(explicit));
}
