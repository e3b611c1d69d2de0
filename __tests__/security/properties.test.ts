import { IncomingMessage, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import express from 'express';
import fc from 'fast-check';
import { closeSharedContexts } from '../../lib/context';
import { flowRoutes } from '../../lib/flows';
import { resolveConfig } from '../../lib/kratos/config';
import { safeReturnTo } from '../../lib/kratos/request';
import { authGate } from '../../lib/proxy';
import { requireSession } from '../../lib/session/factories';
import { startFaultyKratos, type FaultyKratos } from '../helpers/faulty-kratos';
import { startUpstream, type Upstream } from '../helpers/upstream';
import { listen } from '../proxy/helpers';
import { APP_ORIGIN, expectLandsOn, PARTNER } from './hostile-return-urls';
import { rawGet, rawRequest, type RawAnswer } from './hostile-requests';

/*
 * Properties over generated inputs, each bounded in runs: (a) whatever string reaches safeReturnTo, it is
 * refused or comes back as an http(s) URL on the app's origin or an allowed one; (b) whatever the Cookie
 * header mixes around the session credential, the credential goes to Kratos and nowhere else.
 */

// ---------------------------------------------------------------------------------------------------------
// (a) return_to

/** Pieces open redirects are made of: schemes, slashes, backslashes, @, encodings, whitespace, look-alikes. */
const PIECES = [
  'http:', 'https:', 'HTTPS:', 'javascript:', 'JavaScript:', 'java\tscript:', 'data:', 'vbscript:', 'file:', 'blob:',
  '/', '//', '///', '\\', '\\\\', '/\\', '%2f', '%2F', '%5c', '%5C', '%252f', '%2e', '%2e%2e', '.', '..', './', '../',
  '@', ':', ':80', ':443', ':8080', '?', '#', '&', '=', '%40', '%23', '%3f',
  'app.test', 'APP.TEST', 'app.test.', 'partner.test', 'evil.com', 'app.test.evil.com', '127.0.0.1', '2130706433', '[::1]', 'localhost',
  ' ', '\t', '\n', '\r', '\0', '%00', '%09', '%0d%0a', '%20', '\u3002', '\uff0e', '\uff0f', '\u2215', '\u0430', '\u200b', '\u3000', 'x', 'dashboard',
];
const pieces = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 10 }).map((parts) => parts.join(''));
/** Web URLs, half of them moved onto the app's or the partner's host so that acceptance is exercised too. */
const webUrls = fc
  .tuple(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.constantFrom(undefined, 'app.test', 'partner.test', 'app.test:80', 'partner.test:443'))
  .map(([url, host]) => (host ? url.replace(/^(https?:\/\/)[^/?#]+/, `$1${host}`) : url));
const paths = fc.webPath().map((path) => `/${path.replace(/^\/+/, '')}`);
const unicode = fc.string({ unit: 'binary', maxLength: 40 });
const anyReturnTo = fc.oneof(pieces, webUrls, paths, unicode, fc.string({ maxLength: 40 }));

describe('(a) safeReturnTo', () => {
  const own = resolveConfig({ publicUrl: 'http://127.0.0.1:4433' });
  const pinned = resolveConfig({ publicUrl: 'http://127.0.0.1:4433', allowedReturnUrls: [APP_ORIGIN, PARTNER] });
  const req = new IncomingMessage(new Socket());
  req.headers.host = 'app.test';
  req.url = '/page';

  /** Refused, or an http(s) URL on an allowed origin that the validator keeps as is (a fixed point). */
  function check(value: string, config: typeof own, origins: string[]): void {
    const result = safeReturnTo(value, req, config);
    if (result === undefined) return;
    expectLandsOn(result, `${APP_ORIGIN}/page`, origins);
    expect(result).toBe(new URL(result).href);
    expect(safeReturnTo(result, req, config)).toBe(result);
  }

  const cases: [string, fc.Arbitrary<string>, number][] = [
    ['dangerous pieces', pieces, 3000],
    ['web URLs', webUrls, 2000],
    ['paths', paths, 1000],
    ['unicode strings', unicode, 2000],
    ['any of them', anyReturnTo, 2000],
  ];
  it.each(cases)('on the own origin: %s', (_name, arbitrary, numRuns) => {
    fc.assert(fc.property(arbitrary, (value) => check(value, own, [APP_ORIGIN])), { numRuns });
  });
  it.each(cases)('with an allow-list: %s', (_name, arbitrary, numRuns) => {
    fc.assert(fc.property(arbitrary, (value) => check(value, pinned, [APP_ORIGIN, PARTNER])), { numRuns });
  });

  it('keeps ordinary paths of the app', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), { minLength: 1, maxLength: 5 }), (segments) => {
        const path = `/${segments.join('/')}`;
        expect(safeReturnTo(path, req, own)).toBe(`${APP_ORIGIN}${path}`);
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// (b) where the session credential goes

const SESSION = {
  id: '5e2c0c6e-1111-4000-8000-000000000001',
  active: true,
  authenticator_assurance_level: 'aal1',
  identity: { id: '5e2c0c6e-1111-4000-8000-000000000002', schema_id: 'default', schema_url: 'http://127.0.0.1/schemas/default', traits: { email: 'p@example.com' } },
};
const FLOW_ID = '5e2c0c6e-1111-4000-8000-00000000f10e';

/** The credential of the current run: Kratos knows exactly this one. */
let credential = '';
let faulty: FaultyKratos;
let upstream: Upstream;
const closers: (() => Promise<void>)[] = [];
const ports = { session: 0, flows: 0, gate: 0, customGate: 0 };

/** Whether a Kratos request carries the credential of the run, as a cookie (any name) or a token. */
function carries(headers: IncomingHttpHeaders): boolean {
  return headers['x-session-token'] === credential || (headers.cookie ?? '').split(';').some((pair) => pair.slice(pair.indexOf('=') + 1).trim() === credential);
}

beforeAll(async () => {
  faulty = await startFaultyKratos((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const known = path === '/sessions/whoami' && carries(req.headers);
    res.writeHead(known ? 200 : path === '/sessions/whoami' ? 401 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(known ? SESSION : { error: { code: 401, status: 'Unauthorized', message: 'No valid session credentials found in the request.' } }));
  });
  upstream = await startUpstream();
  const sessionApp = express();
  sessionApp.use(requireSession({ publicUrl: faulty.url }));
  sessionApp.use((_req: IncomingMessage, res: ServerResponse) => void res.end('handler'));
  const flowApp = express();
  flowApp.use(flowRoutes({ publicUrl: faulty.url }));
  const servers = [
    ['session', sessionApp],
    ['flows', flowApp],
    ['gate', authGate({ publicUrl: faulty.url, upstream: upstream.url })],
    ['customGate', authGate({ publicUrl: faulty.url, sessionCookieName: 'app_session', upstream: upstream.url })],
  ] as const;
  for (const [name, handler] of servers) {
    const server = await listen(handler as never);
    closers.push(server.close);
    ports[name] = Number(new URL(server.url).port);
  }
});

afterAll(async () => {
  await closeSharedContexts();
  for (const close of closers) await close();
  await upstream.close();
  await faulty.close();
});

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~'.split('');
const credentials = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 16, maxLength: 64 });
/** Other cookies of the app: token names, values of any printable ASCII but `;` (some with `=`, quotes, commas). */
const otherCookies = fc.array(
  fc.tuple(
    fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 12 }),
    fc.string({ unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:<=>?@ABCXYZ[\\]^_`abcxyz{|}~'.split('')), maxLength: 24 }),
  ),
  { maxLength: 8 },
);

interface Mix {
  credential: string;
  carrier: 'cookie' | 'x-session-token' | 'bearer';
  others: [string, string][];
  position: number;
  spacing: [string, string];
  separator: string;
}
const mixes = fc.record({
  credential: credentials,
  carrier: fc.constantFrom<Mix['carrier']>('cookie', 'cookie', 'x-session-token', 'bearer'),
  others: otherCookies,
  position: fc.nat(),
  spacing: fc.tuple(fc.constantFrom('', ' ', '\t'), fc.constantFrom('', ' ', '\t')),
  separator: fc.constantFrom(';', '; ', ' ;', ';;', ' ; '),
});

/** The request headers of a mix: the credential in its carrier, the other cookies around it in any order. */
function headersOf(mix: Mix, name: string): [string, string][] {
  const pairs = mix.others.filter(([other]) => other !== name && !other.startsWith('ory_kratos_') && !other.startsWith('csrf_token')).map(([n, v]) => `${n}=${v}`);
  if (mix.carrier === 'cookie') pairs.splice(mix.position % (pairs.length + 1), 0, `${name}${mix.spacing[0]}=${mix.spacing[1]}${mix.credential}`);
  const headers: [string, string][] = [['Host', 'app.test'], ['Accept', 'application/json']];
  if (pairs.length > 0) headers.push(['Cookie', pairs.join(mix.separator)]);
  if (mix.carrier === 'x-session-token') headers.push(['X-Session-Token', mix.credential]);
  if (mix.carrier === 'bearer') headers.push(['Authorization', `Bearer ${mix.credential}`]);
  return headers;
}

/** Sends one mix and reports the Kratos requests and upstream requests it caused. */
async function run(port: number, target: string, mix: Mix, name = 'ory_kratos_session') {
  credential = mix.credential;
  const kratosBefore = faulty.requests.length;
  const upstreamBefore = upstream.requests.length;
  const answer: RawAnswer = await rawRequest(port, `GET ${target} HTTP/1.1`, headersOf(mix, name));
  return { answer, kratos: faulty.requests.slice(kratosBefore), upstream: upstream.requests.slice(upstreamBefore) };
}

const everyHeaderValue = (headers: IncomingHttpHeaders) => Object.values(headers).flatMap((value) => (Array.isArray(value) ? value : [String(value)]));
const RUNS = { numRuns: 150 };

describe('(b) the session credential goes to Kratos only', () => {
  // The gate lets the request through on the credential Kratos confirmed, and (by default) the upstream
  // never sees it, in any header, whatever the other cookies and the spacing.
  it.each([
    ['the default session cookie name', 'gate', 'ory_kratos_session'],
    ['a custom session cookie name', 'customGate', 'app_session'],
  ] as const)('authGate, %s', async (_name, gate, cookieName) => {
    await fc.assert(
      fc.asyncProperty(mixes, async (mix) => {
        const { answer, kratos, upstream: forwarded } = await run(ports[gate], '/app', mix, cookieName);
        expect(answer.status).toBe(200);
        expect(kratos).toHaveLength(1);
        expect(carries(kratos[0].headers)).toBe(true);
        expect(forwarded).toHaveLength(1);
        expect(everyHeaderValue(forwarded[0].headers).filter((value) => value.includes(mix.credential))).toEqual([]);
        const others = mix.others.filter(([n]) => n !== cookieName && !n.startsWith('ory_kratos_') && !n.startsWith('csrf_token'));
        for (const [n, v] of others) expect(forwarded[0].headers.cookie ?? '').toContain(`${n}=${v}`.trim());
      }),
      RUNS,
    );
  });

  // requireSession sends Kratos the credential alone (never the app's other cookies) and nothing else gets it.
  it('requireSession', async () => {
    await fc.assert(
      fc.asyncProperty(mixes, async (mix) => {
        const { answer, kratos } = await run(ports.session, '/private', mix);
        expect(answer.status).toBe(200);
        expect(answer.body).toBe('handler');
        expect(kratos).toHaveLength(1);
        const sent = kratos[0].headers;
        if (mix.carrier === 'cookie') expect(sent.cookie).toBe(`ory_kratos_session=${mix.credential}`);
        else expect(sent['x-session-token']).toBe(mix.credential);
        expect(everyHeaderValue(sent).filter((value) => value.includes(mix.credential))).toHaveLength(1);
      }),
      RUNS,
    );
  });

  // The flow pages pass the browser's cookies to Kratos unchanged (its CSRF cookies are among them) and to
  // no one else; the credential never comes back in the answer, not even on an error page.
  it('flowRoutes', async () => {
    await fc.assert(
      fc.asyncProperty(mixes, async (mix) => {
        const cookie = headersOf(mix, 'ory_kratos_session').find(([name]) => name === 'Cookie')?.[1];
        const { answer, kratos } = await run(ports.flows, `/login?flow=${FLOW_ID}`, mix);
        expect(answer.status).toBe(303);
        expect(kratos).toHaveLength(1);
        expect(kratos[0].url).toBe(`/self-service/login/flows?id=${FLOW_ID}`);
        expect(kratos[0].headers.cookie).toBe(cookie?.replace(/^[ \t]+|[ \t]+$/g, ''));
        expect(kratos[0].headers['x-session-token']).toBeUndefined();
        expect(answer.head + answer.body).not.toContain(mix.credential);
      }),
      RUNS,
    );
  });
});
