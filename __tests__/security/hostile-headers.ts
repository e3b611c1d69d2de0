import { connect } from 'node:net';

/** One HTTP/1.1 response read off a raw socket. */
export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The same headers with every value of a repeated header kept apart, in order. */
  values: Record<string, string[]>;
  body: string;
  /** The status line and headers, verbatim (latin1). */
  head: string;
}

export interface RawExchange {
  /** Every complete response, interim `100 Continue` included, in order. */
  responses: RawResponse[];
  /** Whether the server closed the connection before the wait ended. */
  closed: boolean;
}

/** The statuses of an exchange, e.g. `[200, 401]`. */
export const statuses = (exchange: RawExchange): number[] => exchange.responses.map((r) => r.status);

/** Parses as many complete responses as `data` holds; `final` says the connection ended (a body may run until close). */
export function parseResponses(data: Buffer, final: boolean): RawResponse[] {
  const out: RawResponse[] = [];
  let offset = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', offset);
    if (end === -1) return out;
    const head = data.subarray(offset, end).toString('latin1');
    const [statusLine, ...lines] = head.split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
    const headers: Record<string, string> = {};
    const values: Record<string, string[]> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      (values[name] ??= []).push(value);
    }
    let at = end + 4;
    let body: Buffer;
    if (status < 200 || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf('\r\n', at);
        if (lineEnd === -1) return out;
        const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) return out;
        if (size === 0) {
          if (data.length < lineEnd + 4) return out;
          if (data.subarray(lineEnd + 2, lineEnd + 4).toString('latin1') === '\r\n') at = lineEnd + 4;
          else {
            const trailerEnd = data.indexOf('\r\n\r\n', lineEnd + 2);
            if (trailerEnd === -1) return out;
            at = trailerEnd + 4;
          }
          break;
        }
        if (data.length < lineEnd + 2 + size + 2) return out;
        parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (data.length < at + length) return out;
      body = data.subarray(at, at + length);
      at += length;
    } else {
      if (!final) return out;
      body = data.subarray(at);
      at = data.length;
    }
    out.push({ status, headers, values, body: body.toString('utf8'), head });
    offset = at;
  }
}

/**
 * Sends `bytes` exactly as given on a new loopback connection and reads responses until `expect` final
 * (non-1xx) responses arrived, the server closed the connection, or `waitMs` passed; then closes it.
 * Nothing normalises the request on the way (unlike supertest or fetch).
 */
export function rawExchange(port: number, bytes: string | Buffer, expect = 1, waitMs = 3000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let closed = false;
    let done = false;
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses: parseResponses(Buffer.concat(chunks), closed), closed });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const finals = parseResponses(Buffer.concat(chunks), false).filter((r) => r.status >= 200);
      if (finals.length >= expect) finish();
    });
    socket.on('end', () => {
      closed = true;
      finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
        closed = true;
        return finish();
      }
      if (!done) {
        done = true;
        clearTimeout(timer);
        reject(err);
      }
    });
  });
}

/** A request head with CRLF line endings; `lines` are sent as given (raw header lines, obs-folds included). */
export function head(requestLine: string, lines: readonly string[]): string {
  return `${requestLine}\r\n${lines.map((line) => `${line}\r\n`).join('')}\r\n`;
}

/** Marker of every spoofed value: no header reaching the upstream may contain it. */
export const SPOOFED = 'attacker';

/**
 * A spoofed identity header sent by a signed-in client, as raw header lines. `names` are the identity headers it
 * tries to set: each may reach the upstream only as the gate's own header (exactly once) or not at all.
 * `status` 400: Node's parser refuses the request head, so nothing reaches the gate or the upstream.
 */
export interface IdentitySpoof {
  title: string;
  lines: string[];
  names: string[];
  /** `jwt`: the gate sends its JWT in Authorization; `custom`: a custom template, JWT header and stripHeaders. */
  gate: 'jwt' | 'custom';
  status: 200 | 400;
}

export const IDENTITY_SPOOFS: IdentitySpoof[] = [
  { title: 'X-USER_ID (dashes and underscores mixed)', lines: [`X-USER_ID: ${SPOOFED}`], names: ['x-user-id'], gate: 'jwt', status: 200 },
  { title: 'x_User-Email (mixed separators and case)', lines: [`x_User-Email: ${SPOOFED}@example.com`], names: ['x-user-email'], gate: 'jwt', status: 200 },
  { title: 'X-User-Id twice with different values', lines: [`X-User-Id: ${SPOOFED}-1`, `X-User-Id: ${SPOOFED}-2`], names: ['x-user-id'], gate: 'jwt', status: 200 },
  { title: 'X-User-Id and x_user_id together', lines: [`X-User-Id: ${SPOOFED}-1`, `x_user_id: ${SPOOFED}-2`], names: ['x-user-id'], gate: 'jwt', status: 200 },
  { title: 'X-Session-Id padded with spaces and a tab', lines: [`X-Session-Id: \t  ${SPOOFED}  \t`], names: ['x-session-id'], gate: 'jwt', status: 200 },
  { title: 'X-User-Aal claiming aal2', lines: [`X-User-Aal: aal2-${SPOOFED}`], names: ['x-user-aal'], gate: 'jwt', status: 200 },
  { title: 'an empty X-User-Id', lines: ['X-User-Id:'], names: ['x-user-id'], gate: 'jwt', status: 200 },
  { title: 'X-User-Id with Latin-1 bytes', lines: [`X-User-Id: ${SPOOFED}\xe9\xff`], names: ['x-user-id'], gate: 'jwt', status: 200 },
  { title: 'X-User-Id listed in Connection to be dropped after the gate set it', lines: ['Connection: keep-alive, X-User-Id, X-Forwarded-Host', `X-User-Id: ${SPOOFED}`], names: ['x-user-id'], gate: 'jwt', status: 200 },
  { title: 'X-Auth-Request-Preferred-Username (oauth2-proxy)', lines: [`X-Auth-Request-Preferred-Username: ${SPOOFED}`], names: ['x-auth-request-preferred-username'], gate: 'jwt', status: 200 },
  { title: 'X_AUTH_REQUEST_GROUPS (oauth2-proxy, underscores)', lines: [`X_AUTH_REQUEST_GROUPS: admins-${SPOOFED}`], names: ['x-auth-request-groups'], gate: 'jwt', status: 200 },
  { title: 'X-Forwarded-Preferred-Username and X-Forwarded-Groups', lines: [`X-Forwarded-Preferred-Username: ${SPOOFED}`, `X-Forwarded-Groups: ${SPOOFED}`], names: ['x-forwarded-preferred-username', 'x-forwarded-groups'], gate: 'jwt', status: 200 },
  { title: 'x_forwarded_access_token', lines: [`x_forwarded_access_token: ${SPOOFED}`], names: ['x-forwarded-access-token'], gate: 'jwt', status: 200 },
  { title: 'X-Kratos-Identity-Id and x_kratos_session', lines: [`X-Kratos-Identity-Id: ${SPOOFED}`, `x_kratos_session: ${SPOOFED}`], names: ['x-kratos-identity-id', 'x-kratos-session'], gate: 'jwt', status: 200 },
  { title: 'X-Identity-Traits and X_IDENTITY_ID', lines: [`X-Identity-Traits: {"email":"${SPOOFED}"}`, `X_IDENTITY_ID: ${SPOOFED}`], names: ['x-identity-traits', 'x-identity-id'], gate: 'jwt', status: 200 },
  { title: 'x_remote_user and X-Remote-Groups', lines: [`x_remote_user: ${SPOOFED}`, `X-Remote-Groups: ${SPOOFED}`], names: ['x-remote-user', 'x-remote-groups'], gate: 'jwt', status: 200 },
  { title: 'remote_user (the CGI spelling)', lines: [`remote_user: ${SPOOFED}`], names: ['remote-user'], gate: 'jwt', status: 200 },
  { title: 'X-Jwt-Assertion, X-Id-Token and X-Pomerium-Claim-Email', lines: [`X-Jwt-Assertion: ${SPOOFED}`, `X-Id-Token: ${SPOOFED}`, `X-Pomerium-Claim-Email: ${SPOOFED}`], names: ['x-jwt-assertion', 'x-id-token', 'x-pomerium-claim-email'], gate: 'jwt', status: 200 },
  { title: 'a forged Bearer JWT in Authorization next to the session cookie', lines: [`Authorization: Bearer eyJhbGciOiJub25lIn0.${Buffer.from(`{"sub":"${SPOOFED}"}`).toString('base64url')}.`], names: ['authorization'], gate: 'jwt', status: 200 },
  { title: 'the custom JWT header as x_gate_jwt', lines: [`x_gate_jwt: ${SPOOFED}`], names: ['x-gate-jwt'], gate: 'custom', status: 200 },
  { title: 'the custom JWT header as X-GATE-JWT twice', lines: [`X-GATE-JWT: ${SPOOFED}-1`, `X-Gate-Jwt: ${SPOOFED}-2`], names: ['x-gate-jwt'], gate: 'custom', status: 200 },
  { title: 'a template header outside the known families as kratos_email', lines: [`kratos_email: ${SPOOFED}@example.com`], names: ['kratos-email'], gate: 'custom', status: 200 },
  { title: 'a stripHeaders prefix as x_internal_role', lines: [`x_internal_role: ${SPOOFED}`, `X-INTERNAL-TENANT: ${SPOOFED}`], names: ['x-internal-role', 'x-internal-tenant'], gate: 'custom', status: 200 },
  { title: 'X-User-Id continued on an obs-fold line', lines: [`X-User-Id: ${SPOOFED}`, ` ${SPOOFED}-folded`], names: ['x-user-id'], gate: 'jwt', status: 400 },
  { title: 'X-User-Id with a space before the colon', lines: [`X-User-Id : ${SPOOFED}`], names: ['x-user-id'], gate: 'jwt', status: 400 },
  { title: 'X-User-Id with a leading space (a fold of the Host line)', lines: [` X-User-Id: ${SPOOFED}`], names: ['x-user-id'], gate: 'jwt', status: 400 },
  { title: 'X-User-Id without a colon', lines: [`X-User-Id ${SPOOFED}`], names: ['x-user-id'], gate: 'jwt', status: 400 },
  { title: 'X-User-Id with a NUL byte in its value', lines: [`X-User-Id: ${SPOOFED}\0`], names: ['x-user-id'], gate: 'jwt', status: 400 },
];

/**
 * A spoofed forwarding header. `removed`: names (any spelling) that must not reach the upstream from an
 * untrusted client; the gate's own `X-Forwarded-For/Host/Proto` must arrive exactly once, with its own values.
 */
export interface ForwardingSpoof {
  title: string;
  lines: string[];
  /** Request path; rules make `/public/**` public and everything else need a session. */
  path: string;
  removed: string[];
}

export const FORWARDING_SPOOFS: ForwardingSpoof[] = [
  { title: 'X-Forwarded-For twice', lines: ['X-Forwarded-For: 6.6.6.6', 'X-Forwarded-For: 7.7.7.7'], path: '/app', removed: [] },
  { title: 'X_Forwarded_For', lines: ['X_Forwarded_For: 6.6.6.6'], path: '/app', removed: ['x-forwarded-for'] },
  { title: 'X-Forwarded-For ending in the real peer', lines: ['X-Forwarded-For: 6.6.6.6, 127.0.0.1'], path: '/app', removed: [] },
  { title: 'X-Forwarded-Host', lines: ['X-Forwarded-Host: evil.example'], path: '/app', removed: [] },
  { title: 'X_Forwarded_Host', lines: ['X_Forwarded_Host: evil.example'], path: '/app', removed: ['x-forwarded-host'] },
  { title: 'X-Forwarded-Host twice', lines: ['X-Forwarded-Host: evil.example', 'X-Forwarded-Host: evil.example:8443'], path: '/app', removed: [] },
  { title: 'X-Forwarded-Proto: https', lines: ['X-Forwarded-Proto: https'], path: '/app', removed: [] },
  { title: 'x_forwarded_proto: https', lines: ['x_forwarded_proto: https'], path: '/app', removed: ['x-forwarded-proto'] },
  { title: 'Forwarded (RFC 7239)', lines: ['Forwarded: for=6.6.6.6;host=evil.example;proto=https'], path: '/app', removed: ['forwarded'] },
  { title: 'X-Real-IP', lines: ['X-Real-IP: 6.6.6.6'], path: '/app', removed: ['x-real-ip'] },
  { title: 'X-Original-URL pointing at a public path', lines: ['X-Original-URL: /public/evil.example'], path: '/app', removed: ['x-original-url'] },
  { title: 'X-Rewrite-URL pointing at a public path', lines: ['X-Rewrite-URL: /public/evil.example'], path: '/app', removed: ['x-rewrite-url'] },
  { title: 'X-Original-URL on a public path, pointing at a private one', lines: ['X-Original-URL: /app/evil.example'], path: '/public/x', removed: ['x-original-url'] },
  { title: 'X-Forwarded-Prefix', lines: ['X-Forwarded-Prefix: //evil.example'], path: '/app', removed: ['x-forwarded-prefix'] },
  { title: 'X-Forwarded-Port', lines: ['X-Forwarded-Port: 6666'], path: '/app', removed: ['x-forwarded-port'] },
  { title: 'X-Forwarded-Ssl: on', lines: ['X-Forwarded-Ssl: on'], path: '/app', removed: ['x-forwarded-ssl'] },
  { title: 'X-Forwarded-Scheme: https', lines: ['X-Forwarded-Scheme: https'], path: '/app', removed: ['x-forwarded-scheme'] },
  { title: 'X-Forwarded-Server', lines: ['X-Forwarded-Server: evil.example'], path: '/app', removed: ['x-forwarded-server'] },
  { title: 'X-Forwarded-Uri pointing at a public path', lines: ['X-Forwarded-Uri: /public/evil.example'], path: '/app', removed: ['x-forwarded-uri'] },
];
