import { connect } from 'node:net';

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
 * Sends one request over a raw socket, so that nothing (a client library, URL parsing) normalises the
 * target or the headers first, and reads the answer until the server closes. `head` is the request line
 * and headers as sent (name and value joined with ': '), `Connection: close` is added. Bounded: fails
 * after 5 s without an answer.
 *
 * @example
 * const answer = await rawRequest(port, 'GET //evil.com HTTP/1.1', { Host: 'app.test' });
 */
export function rawRequest(port: number, requestLine: string, headers: Record<string, string> | [string, string][]): Promise<RawAnswer> {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  const head = `${requestLine}\r\n${pairs.map(([name, value]) => `${name}: ${value}\r\n`).join('')}Connection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    // Written, not ended: a server may drop a half-closed connection while it is still working on the answer.
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from(head, 'utf8')));
    const chunks: Buffer[] = [];
    let answer: RawAnswer | undefined;
    const parse = (): RawAnswer | undefined => {
      const data = Buffer.concat(chunks).toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) return undefined;
      const headText = data.slice(0, end);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText)?.[1] ?? 0);
      const parsed: Record<string, string[]> = {};
      for (const line of headText.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        (parsed[name] ??= []).push(line.slice(colon + 1).trim());
      }
      return { status, headers: parsed, body: data.slice(end + 4), head: headText };
    };
    const dechunked = (candidate: RawAnswer): RawAnswer => {
      if (!candidate.headers['transfer-encoding']?.some((value) => /chunked/i.test(value))) return candidate;
      let body = '';
      let rest = candidate.body;
      for (;;) {
        const line = rest.indexOf('\r\n');
        const size = line === -1 ? 0 : parseInt(rest.slice(0, line), 16);
        if (!size) break;
        body += rest.slice(line + 2, line + 2 + size);
        rest = rest.slice(line + 4 + size);
      }
      return { ...candidate, body };
    };
    /** The whole answer has arrived (a proxy may keep the connection open despite `Connection: close`). */
    const complete = (candidate: RawAnswer) => {
      const length = candidate.headers['content-length'];
      if (length) return Buffer.byteLength(candidate.body, 'latin1') >= Number(length[0]);
      if (candidate.headers['transfer-encoding']) return candidate.body.endsWith('0\r\n\r\n');
      return candidate.status === 304 || candidate.status === 204;
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const candidate = parse();
      if (candidate && complete(candidate)) {
        answer = dechunked(candidate);
        socket.destroy();
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A server that refuses a request may reset the connection once it has answered.
      if (err.code === 'ECONNRESET' && chunks.length > 0) return;
      reject(err);
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('close', () => {
      const parsed = parse();
      const final = answer ?? (parsed && dechunked(parsed));
      if (final) resolve(final);
      else reject(new Error(`the connection closed without an answer (${chunks.length} chunks)`));
    });
  });
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
