// Modules (spec: "Module Health Checks"): a module declares its health check with its
// definition; registerModuleHealthChecks() registers each as `module:{code}` once the
// modules are loaded.

import type { HealthCheckOptions } from './health/check-entry.ts';
import { healthRegistry, type HealthRegistry } from './health/registry.ts';
import type { HealthCheck } from './health/status.ts';

export interface ModuleDefinition {
  /** Short, stable identifier: the check is registered as `module:{code}`. */
  readonly code: string;
  /** Human-readable name. */
  readonly name: string;
  /** May return the spec's `{ status, message }` dict or a full result. */
  readonly healthCheck?: HealthCheck;
  readonly healthCheckOptions?: HealthCheckOptions;
}

const CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const modules = new Map<string, ModuleDefinition>();

/** Declares a module. Defining the same object twice returns it; another module with a taken code is an error. */
export function defineModule(definition: ModuleDefinition): ModuleDefinition {
  const { code, name, healthCheck } = definition ?? {};
  const where = `defineModule(${typeof code === 'string' ? JSON.stringify(code) : String(code)})`;
  if (typeof code !== 'string' || !CODE_PATTERN.test(code)) {
    throw new TypeError(`${where}: code must be letters, digits, "_", "-" or ".", starting with a letter or digit`);
  }
  if (typeof name !== 'string' || name.trim() === '') throw new TypeError(`${where}: name must be a non-empty string`);
  if (healthCheck !== undefined && typeof healthCheck !== 'function') {
    throw new TypeError(`${where}: healthCheck must be a function, got ${typeof healthCheck}`);
  }
  const existing = modules.get(code);
  if (existing) {
    if (existing === definition) return existing;
    // Name both: the two definitions usually live in different files, and the message is
    // all the developer has to find which one to rename.
    throw new Error(`${where}: a module with code "${code}" is already defined as "${existing.name}"; `
      + `"${name}" needs another code`);
  }
  modules.set(code, definition);
  return definition;
}

/** Registers `module:{code}` for every defined module with a health check. Idempotent. Returns the check names. */
export function registerModuleHealthChecks(registry: HealthRegistry = healthRegistry): string[] {
  const names: string[] = [];
  for (const { code, healthCheck, healthCheckOptions } of modules.values()) {
    if (!healthCheck) continue;
    const name = `module:${code}`;
    registry.register(name, healthCheck, healthCheckOptions);
    names.push(name);
  }
  return names;
}

/** Forgets every module. For tests. */
export function clearModules(): void {
  modules.clear();
}
