// Real HTTP against real servers: a thin fetch wrapper that never waits forever.

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export async function request(url: string, init: RequestInit = {}, timeoutMs = 5_000): Promise<Reply> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

export function baseUrl(address: { address: string; port: number } | undefined): string {
  if (!address) throw new Error('the observability server is not listening');
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
