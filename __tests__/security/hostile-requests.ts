import { rawExchange } from './hostile-headers';

/** An answer as it came over the wire. */
export interface RawAnswer {
  status: number;
  /** Lower-case header names; repeated headers keep every value in order. */
  headers: Record<string, string[]>;
  body: string;
  /** The status line and headers, verbatim (latin1). */
  head: string;
}

/**
 * Sends one request over a raw socket ({@link rawExchange}), so that nothing (a client library, URL parsing)
 * normalises the target or the headers first, and returns its final answer. `head` is the request line and
 * headers as sent (name and value joined with ': '), `Connection: close` is added. Bounded: fails after 5 s
 * without an answer.
 *
 * @example
 * const answer = await rawRequest(port, 'GET //evil.com HTTP/1.1', { Host: 'app.test' });
 */
export async function rawRequest(port: number, requestLine: string, headers: Record<string, string> | [string, string][]): Promise<RawAnswer> {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  const head = `${requestLine}\r\n${pairs.map(([name, value]) => `${name}: ${value}\r\n`).join('')}Connection: close\r\n\r\n`;
  const { responses } = await rawExchange(port, head, 1, 5000);
  const answer = responses.find((response) => response.status >= 200);
  if (!answer) throw new Error(`no answer within 5 s (${responses.length} interim responses)`);
  return { status: answer.status, headers: answer.values, body: answer.body, head: answer.head };
}

/** `GET <target> HTTP/1.1` with `Host: app.test` and a browser's `Accept`, plus `headers`. */
export function rawGet(port: number, target: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return rawRequest(port, `GET ${target} HTTP/1.1`, { Host: 'app.test', Accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8', ...headers });
}

/** The one `Location` of an answer (fails when there are several). */
export function locationOf(answer: RawAnswer): string | undefined {
  const values = answer.headers.location ?? [];
  expect(values.length).toBeLessThanOrEqual(1);
  return values[0];
}
