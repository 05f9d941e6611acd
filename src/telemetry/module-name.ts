// The package a module specifier refers to: 'pg/lib/client' -> 'pg', '@redis/client/dist/x'
// -> '@redis/client', 'node:fs/promises' -> 'fs'. Relative, absolute and URL specifiers
// name no package (undefined). Runs on every module resolution, so it is plain string work.

export function packageName(specifier: string): string | undefined {
  let s = specifier;
  if (s.startsWith('node:')) s = s.slice(5);
  const first = s.charCodeAt(0);
  // '.', '/', '#' (imports map) or a URL scheme / Windows drive ('file:', 'C:')
  if (first === 46 || first === 47 || first === 35 || s.includes(':')) return undefined;
  const slash = s.indexOf('/');
  if (first === 64 /* @ */) {
    if (slash < 0) return undefined;
    const second = s.indexOf('/', slash + 1);
    return second < 0 ? s : s.slice(0, second);
  }
  return slash < 0 ? s : s.slice(0, slash);
}
