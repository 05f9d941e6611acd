// The comma-separated, parameterised lists of Accept and Accept-Encoding
// (`text/plain;version=0.0.4;q=0.5, */*;q=0.1`), split once for every endpoint that
// negotiates. Each caller reads the parameters it cares about (q, version) its own way.

export interface ListItem {
  /** The media range or coding, trimmed and lower-cased. */
  value: string;
  /** Parameters by lower-cased name; values trimmed, as written (quotes kept). */
  params: Map<string, string>;
}

export function parseList(header: string | string[] | undefined): ListItem[] {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(',') : header;
  return text.split(',').map((part) => {
    const [value = '', ...rawParams] = part.split(';');
    const params = new Map<string, string>();
    for (const param of rawParams) {
      const eq = param.indexOf('=');
      const key = (eq === -1 ? param : param.slice(0, eq)).trim().toLowerCase();
      // The first of a repeated parameter counts.
      if (!params.has(key)) params.set(key, eq === -1 ? '' : param.slice(eq + 1).trim());
    }
    return { value: value.trim().toLowerCase(), params };
  });
}
