// What of a request may reach Sentry: the query string with the values of secret-looking
// parameters (token, password, api_key, …) replaced, as the health report's scrubber judges
// names.

import { isSecretName } from '../health/scrub.ts';

const FILTERED = '[Filtered]';

export function scrubQueryString(query: string): string {
  if (query === '') return '';
  const params = new URLSearchParams(query);
  let changed = false;
  for (const name of new Set(params.keys())) {
    if (!isSecretName(name)) continue;
    params.set(name, FILTERED);
    changed = true;
  }
  return changed ? params.toString() : query;
}
