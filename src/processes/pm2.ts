// PM2 cluster mode hands each instance the app's environment (the ecosystem file's `env`,
// the variables of the shell that ran `pm2 start`) packed as JSON in one variable,
// `pm2_env`: PM2's daemon is a long-lived node:cluster primary, and cluster.fork() can pass
// only flat strings. PM2's ProcessContainer.js unpacks it into process.env right before it
// loads the app, but the preload runs before ProcessContainer.js does, so it would read the
// daemon's environment instead: OBSERVABILITY_PORT, ENABLE_METRICS, SERVICE_NAME as they
// were when the daemon first started, not as the app was started. (PM2's fork mode passes
// the variables themselves; nothing to do there.)

/** PM2's own settings sit beside the variables as arrays and objects (args, node_args, env): not variables. */
function isFlat(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/**
 * In a PM2 cluster instance, copies the app's variables from `pm2_env` into `env`, as
 * ProcessContainer.js does a moment later (PM2's values win over the daemon's), so the
 * preload configures itself from what the app was started with. Leaves `pm2_env` itself
 * in place: ProcessContainer.js reads it. Returns whether `env` was PM2's.
 */
export function adoptPm2Environment(env: NodeJS.ProcessEnv = process.env): boolean {
  const packed = env.pm2_env;
  if (packed === undefined) return false;
  let unpacked: unknown;
  try {
    unpacked = JSON.parse(packed);
  } catch {
    return false; // not PM2's: leave it alone
  }
  if (typeof unpacked !== 'object' || unpacked === null || typeof (unpacked as { pm_exec_path?: unknown }).pm_exec_path !== 'string') return false;
  for (const [name, value] of Object.entries(unpacked)) if (isFlat(value)) env[name] = String(value);
  return true;
}
