import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { defineModule, healthRegistry, registerModuleHealthChecks } from '../src/index.ts';
import { clearModules } from '../src/modules.ts';

describe('module health checks', () => {
  beforeEach(() => {
    healthRegistry.clear();
    clearModules();
  });
  afterEach(() => clearModules());

  it('registers each module check as module:{code} and serves the spec dict', async () => {
    const billing = defineModule({
      code: 'billing',
      name: 'Billing',
      healthCheck: () => ({ status: 'healthy', message: 'Stripe connected' }),
    });
    defineModule({ code: 'catalog', name: 'Catalog' });
    assert.equal(billing.code, 'billing');
    assert.deepEqual(registerModuleHealthChecks(), ['module:billing']);
    const report = await healthRegistry.runAll();
    assert.deepEqual(report.checks.map((c) => [c.name, c.status, c.message]), [['module:billing', 'healthy', 'Stripe connected']]);
  });

  it('is idempotent', async () => {
    defineModule({ code: 'billing', name: 'Billing', healthCheck: () => ({ status: 'unhealthy', message: 'Stripe down' }) });
    registerModuleHealthChecks();
    registerModuleHealthChecks();
    assert.deepEqual(healthRegistry.names(), ['module:billing']);
    assert.equal((await healthRegistry.runAll()).status, 'unhealthy');
  });

  it('passes health check options through', async () => {
    defineModule({
      code: 'search', name: 'Search',
      healthCheck: () => ({ status: 'unhealthy' }),
      healthCheckOptions: { critical: false },
    });
    registerModuleHealthChecks();
    assert.equal((await healthRegistry.runAll()).status, 'degraded');
  });

  it('rejects bad definitions with errors that name the module', () => {
    assert.throws(() => defineModule({ code: 'has space', name: 'X' }),
      /defineModule\("has space"\): code must be letters, digits, "_", "-" or "\.", starting with a letter or digit/);
    assert.throws(() => defineModule({ code: 'billing', name: '' }), /defineModule\("billing"\): name must be a non-empty string/);
    assert.throws(() => defineModule({ code: 'billing', name: 'Billing', healthCheck: 'yes' as never }),
      /defineModule\("billing"\): healthCheck must be a function, got string/);
    assert.throws(() => defineModule(undefined as never), /defineModule\(undefined\): code must be/);
    defineModule({ code: 'billing', name: 'Billing' });
    assert.throws(() => defineModule({ code: 'billing', name: 'Billing v2' }),
      /defineModule\("billing"\): a module with code "billing" is already defined as "Billing"; "Billing v2" needs another code/);
  });
});
