// The route template of an express request when no instrumentation recorded one (tracing
// off): built from the templates the app registered, never from the URL. `req.baseUrl` is
// the *matched* path of the mounted routers ("/users/u17" for `app.use('/users/:uid', r)`),
// so joining it with `req.route.path` put one raw id per user into http_route.
//
// The router's layers keep what they were registered with (`layer.rawPath`, router >= 2.3,
// express 5). Where the request's Route sits in the app's router tree is found once per
// Route and cached; per request, the mounts of each candidate chain are matched against
// the URL (`layer.match` is pure in that router) and the chain whose matched prefix is
// `req.baseUrl` is the one express took. Segments are joined as the OpenTelemetry express
// instrumentation joins them (arrays with ",", RegExps as written, "/" and catch-all
// mounts left out), so the label reads the same whether tracing is on or off. Anything
// that cannot be resolved so (express 4, a router without rawPath, a sub-app mounted
// below a router) gives "" unless no mount is involved: never a raw path.

interface Layer {
  rawPath?: unknown;
  route?: unknown;
  name?: unknown;
  handle?: { stack?: unknown };
  match?: (path: string) => false | { path?: unknown };
}

interface ExpressApp {
  router?: { stack?: unknown };
  _router?: { stack?: unknown };
  parent?: ExpressApp;
  mountpath?: unknown;
}

export interface ExpressRequest {
  route?: { path?: unknown };
  baseUrl?: unknown;
  originalUrl?: unknown;
  url?: string;
  app?: ExpressApp;
}

/** One place a Route is reachable: the mounts above it and the route they make together. */
interface Chain {
  mounts: Layer[];
  /** Undefined when a mount's template is not readable (no rawPath). */
  route: string | undefined;
  /** Whether a mount takes part of the path ("/" and app.use(fn) take none). */
  consumes: boolean;
}

/** Where each Route sits in the app's router tree, found at its first request. */
const chainsByRoute = new WeakMap<object, Chain[]>();
/** Chains of layers from the root app's router down to a sub-app's mount. */
const chainsByApp = new WeakMap<object, Layer[][]>();

/** Bounds the one-off search of a huge or cyclic router tree. */
const MAX_LAYERS_VISITED = 20_000;
const MAX_DEPTH = 32;

export function expressRoute(req: ExpressRequest): string {
  const route = req.route;
  if (route === null || typeof route !== 'object' || route.path === undefined) return '';
  const baseUrl = typeof req.baseUrl === 'string' ? req.baseUrl : '';
  const chains = chainsOf(route, req.app);
  if (chains.length === 1) {
    // The usual case, and the cheap check (matching costs about 1.5 µs per mount): below a
    // mount that consumes part of the path req.baseUrl is that part, above none it is "".
    const [only] = chains as [Chain];
    if (only.route !== undefined && (baseUrl === '') === !only.consumes) return only.route;
  } else {
    for (const chain of chains) {
      // Mounted in several places: the one express took is the one whose mounts match the
      // URL up to req.baseUrl.
      if (chain.route !== undefined && matchedPrefix(chain.mounts, req) === baseUrl) return chain.route;
    }
  }
  // Found, but no chain matches: req.route is left over from a route that passed the request
  // on (next()), and something else answered.
  if (chains.length > 0) return '';
  // Not in the tree (express 4, a router without rawPath): a Route reached without any mount
  // is its own template; below a mount the prefix is unknown, and a raw one is never used.
  if (baseUrl === '' && !req.app?.parent) return join([segment(route.path)]);
  return '';
}

function hasTemplate(layer: Layer): boolean {
  return 'rawPath' in layer && typeof layer.match === 'function';
}

function chainsOf(route: { path?: unknown }, app: ExpressApp | undefined): Chain[] {
  let chains = chainsByRoute.get(route);
  if (chains === undefined) {
    chains = [];
    for (const prefix of appChains(app, 0)) {
      for (const found of find(routerOf(app), (layer) => layer.route === route)) {
        const mounts = [...prefix, ...found.slice(0, -1)];
        const readable = mounts.every(hasTemplate);
        chains.push({
          mounts,
          route: readable ? join([...mounts.map((l) => segment(l.rawPath)), segment(route.path)]) : undefined,
          consumes: mounts.some((l) => l.rawPath !== '/' && !(l as { slash?: unknown }).slash),
        });
      }
    }
    // A Route not found now may be reachable later (routers mounted after the first request).
    if (chains.length > 0) chainsByRoute.set(route, chains);
  }
  return chains;
}

/** Where a sub-app (`parent.use('/orgs/:org', subApp)`) is mounted: its mounted_app layer(s) in the parent's tree. */
function appChains(app: ExpressApp | undefined, depth: number): Layer[][] {
  if (!app?.parent) return [[]];
  if (depth > MAX_DEPTH) return [];
  let chains = chainsByApp.get(app);
  if (chains === undefined) {
    chains = [];
    const mountpath = app.mountpath;
    for (const prefix of appChains(app.parent, depth + 1)) {
      const mounts = find(routerOf(app.parent), (l) => l.name === 'mounted_app' && sameTemplate(l.rawPath, mountpath));
      for (const chain of mounts) chains.push([...prefix, ...chain]);
    }
    if (chains.length > 0) chainsByApp.set(app, chains);
  }
  return chains;
}

function sameTemplate(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameTemplate(x, b[i]));
  return a === b || (a instanceof RegExp && b instanceof RegExp && String(a) === String(b));
}

function routerOf(app: ExpressApp | undefined): { stack?: unknown } | undefined {
  try {
    return app?.router ?? app?._router;
  } catch {
    return undefined;
  }
}

/** Every chain of layers, through mounted routers, from `router` down to a layer that `wanted`. */
function find(router: { stack?: unknown } | undefined, wanted: (layer: Layer) => boolean): Layer[][] {
  const out: Layer[][] = [];
  const budget = { visited: 0 };
  const open = new Set<unknown>();
  const walk = (stack: unknown, path: Layer[]): void => {
    if (!Array.isArray(stack) || path.length > MAX_DEPTH || open.has(stack)) return;
    open.add(stack);
    for (const layer of stack as Layer[]) {
      if (++budget.visited > MAX_LAYERS_VISITED) break;
      if (layer === null || typeof layer !== 'object') continue;
      if (wanted(layer)) out.push([...path, layer]);
      else if (layer.route === undefined) walk(layer.handle?.stack, [...path, layer]);
    }
    open.delete(stack);
  };
  walk(router?.stack, []);
  return out;
}

/** The prefix of the request's path the mounts consume, spelled as the router spells req.baseUrl; undefined when one does not match. */
function matchedPrefix(mounts: Layer[], req: ExpressRequest): string | undefined {
  const pathname = pathnameOf(req.originalUrl ?? req.url);
  if (pathname === undefined) return undefined;
  let rest = pathname;
  let base = '';
  for (const layer of mounts) {
    let found: false | { path?: unknown };
    try {
      found = (layer.match as (p: string) => false | { path?: unknown })(rest);
    } catch {
      return undefined;
    }
    if (!found || typeof found.path !== 'string') return undefined;
    const removed = found.path;
    if (removed.length === 0) continue;
    base += removed.endsWith('/') ? removed.slice(0, -1) : removed;
    rest = rest.slice(removed.length);
    if (!rest.startsWith('/')) rest = `/${rest}`;
  }
  return base;
}

function pathnameOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  // An absolute-form request target (`GET http://host/path`): the router matches its path.
  if (path.startsWith('/')) return path;
  const slash = path.indexOf('/', path.indexOf('://') + 3);
  return path.includes('://') ? (slash === -1 ? '/' : path.slice(slash)) : undefined;
}

/** One layer's template as the OpenTelemetry express instrumentation writes it (getLayerPath). */
function segment(rawPath: unknown): string {
  if (Array.isArray(rawPath)) return rawPath.map((p) => segment(p)).join(',');
  if (typeof rawPath === 'string') return rawPath;
  if (rawPath instanceof RegExp || typeof rawPath === 'number') return rawPath.toString();
  return '';
}

/** getConstructedRoute's join: "/" and catch-all mounts add nothing, doubled slashes collapse. */
function join(segments: string[]): string {
  const meaningful = segments.filter((s) => s !== '' && s !== '/' && s !== '/*' && !/^\/\{\*[^}]*\}$/.test(s));
  if (meaningful.length === 1 && meaningful[0] === '*') return '*';
  const route = meaningful.join('').replace(/\/{2,}/g, '/');
  if (route === '') return '/';
  return route.startsWith('/') ? route : `/${route}`;
}
