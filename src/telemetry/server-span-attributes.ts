// The attributes of an incoming request's SERVER span, as @opentelemetry/instrumentation-http
// 0.300 computes them (getIncomingRequestAttributes, stable semconv), ported so that
// server-spans.ts emits the same spans. The one change is speed: that function parses
// every request URL with new URL() (~1 us); an origin-form target that URL parsing would
// leave unchanged is split at '?' instead, and anything else still goes through new URL().

import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import type { Attributes } from '@opentelemetry/api';
import { load } from './load.ts';
import { normalizeMethod } from '../http/incoming.ts';

/** The instrumentation's DEFAULT_QUERY_STRINGS_TO_REDACT. */
const REDACTED_PARAMS = ['sig', 'Signature', 'AWSAccessKeyId', 'X-Goog-Signature', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token'];
/** A path WHATWG URL parsing keeps as is: no characters it would encode, no '//' start (a host), no '\'. */
const PLAIN_PATH = /^\/(?!\/)[\w\-.~!$&'()*+,;=:@/%|]*$/;
/** '.', '..' or an encoded dot segment, which URL parsing resolves. */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;
const PLAIN_QUERY = /^[\x21-\x22\x24-\x7e]*$/; // printable ASCII without '#'

export function requestAttributes(request: IncomingMessage): Attributes {
  const { headers, method, socket } = request;
  const scheme = (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const normalized = normalizeMethod(method);
  const server = serverAddress(request, scheme);
  const client = clientAddress(request);
  const attributes: Attributes = {
    'http.request.method': normalized,
    'url.scheme': scheme,
    'server.address': server?.host,
    'network.peer.address': socket.remoteAddress,
    'network.peer.port': socket.remotePort,
    'network.protocol.version': request.httpVersion,
    'user_agent.original': headers['user-agent'],
  };
  const url = pathAndQuery(request.url ?? '/', scheme, headers.host);
  if (url) {
    attributes['url.path'] = url.path;
    if (url.query) attributes['url.query'] = redact(url.query);
  }
  if (client != null) attributes['client.address'] = client;
  if (server?.port != null) attributes['server.port'] = Number(server.port);
  if (method !== normalized) attributes['http.request.method_original'] = method;
  return attributes;
}

/** pathname and search (without '?') as new URL(target, `${scheme}://${host}`) gives them; undefined if it throws. */
function pathAndQuery(target: string, scheme: string, host: string | undefined): { path: string; query: string } | undefined {
  const mark = target.indexOf('?');
  const path = mark === -1 ? target : target.slice(0, mark);
  const query = mark === -1 ? '' : target.slice(mark + 1);
  if (PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path) && (query === '' || PLAIN_QUERY.test(query))) return { path, query };
  try {
    const parsed = new URL(target, `${scheme}://${host || 'localhost'}`);
    return { path: parsed.pathname, query: parsed.search.slice(1) };
  } catch {
    return undefined;
  }
}

function redact(query: string): string {
  const params = new URLSearchParams(query);
  for (const name of REDACTED_PARAMS) if (params.has(name)) params.set(name, 'REDACTED');
  return params.toString();
}

type HostPort = { host: string; port?: string };

function parseHostHeader(hostHeader: string, proto?: string): HostPort {
  const parts = hostHeader.split(':');
  const defaultPort = proto === 'http' ? '80' : proto === 'https' ? '443' : undefined;
  if (parts.length === 1) return defaultPort ? { host: parts[0]!, port: defaultPort } : { host: parts[0]! };
  if (parts.length === 2) return { host: parts[0]!, port: parts[1]! };
  if (parts[0]!.startsWith('[')) {
    if (parts[parts.length - 1]!.endsWith(']')) {
      if (defaultPort) return { host: hostHeader, port: defaultPort };
    } else if (parts[parts.length - 2]!.endsWith(']')) {
      return { host: parts.slice(0, -1).join(':'), port: parts[parts.length - 1]! };
    }
  }
  return { host: hostHeader };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function serverAddress(request: IncomingMessage, scheme: string): HostPort | null {
  const { headers } = request;
  if (headers.forwarded) {
    for (const entry of parseForwarded(headers.forwarded)) if (entry.host) return parseHostHeader(entry.host, entry.proto);
  }
  const forwardedHost = headers['x-forwarded-host'];
  if (typeof forwardedHost === 'string' || (Array.isArray(forwardedHost) && typeof forwardedHost[0] === 'string' && forwardedHost[0].length > 0)) {
    return parseHostHeader(first(forwardedHost)!, first(headers['x-forwarded-proto']));
  }
  const host = headers.host;
  return typeof host === 'string' && host.length > 0 ? parseHostHeader(host, scheme) : null;
}

function clientAddress(request: IncomingMessage): string | null {
  const { headers } = request;
  if (headers.forwarded) {
    for (const entry of parseForwarded(headers.forwarded)) if (entry.for) return removePort(entry.for);
  }
  const forwardedFor = headers['x-forwarded-for'];
  if (forwardedFor) {
    const value = first(forwardedFor);
    if (typeof value === 'string') return removePort(value.split(',')[0]!.trim());
  }
  return request.socket.remoteAddress || null;
}

function removePort(input: string): string {
  try {
    const { hostname } = new URL(`http://${input}`);
    return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  } catch {
    return input;
  }
}

type ForwardedParse = (header: string) => Array<Record<string, string | undefined>>;
let forwardedParse: ForwardedParse | undefined;

/** RFC 7239 with the parser the instrumentation uses (its own dependency), loaded on first use. */
function parseForwarded(header: string): Array<Record<string, string | undefined>> {
  try {
    forwardedParse ??= createRequire(load.resolve('@opentelemetry/instrumentation-http'))('forwarded-parse') as ForwardedParse;
    return forwardedParse(header);
  } catch {
    return [];
  }
}
