import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { closeSharedContexts } from '../../lib/context';
import { flowRoutes } from '../../lib/flows';
import { kratosProxy } from '../../lib/proxy';
import { startFaultyKratos, type FaultyKratos } from '../helpers/faulty-kratos';
import { Browser, startPair, type LateServer } from '../flows/helpers';
import type { TestEmulator } from '../helpers/emulator';
import { listen } from '../proxy/helpers';
import { rawGet, locationOf } from './hostile-requests';

/*
 * Hostile flow ids through the flow pages and the same-origin proxy, against a Kratos that records every
 * request. A flow id that is not a UUID never reaches Kratos: the page answers a precise 400 (404 on the
 * error page). A UUID, in any case, reaches Kratos only lower-cased, as the `id` query parameter of the
 * flow's fixed path; Kratos not knowing it starts a fresh flow. The proxy forwards Kratos' query as sent but
 * refuses every path that could climb out of Kratos' browser endpoints.
 */

const ID = '5e2c0c6e-1111-4000-8000-00000000abcd';
const TEN_KB = 'a'.repeat(10 * 1024);

/** `malformed`: refused without Kratos; `uuid`: Kratos asked with `id`; `absent`: no flow id at all. */
type Outcome = { kind: 'malformed'; message: RegExp } | { kind: 'uuid'; id: string } | { kind: 'absent' };
const malformed = (message = /is not a flow id/): Outcome => ({ kind: 'malformed', message });
const uuid = (id: string): Outcome => ({ kind: 'uuid', id: id.toLowerCase() });
const absent: Outcome = { kind: 'absent' };

/** [name, query string as sent on the wire, outcome]. */
const QUERIES: [string, string, Outcome][] = [
  ['a path traversal', 'flow=../../admin/identities', malformed()],
  ['an encoded path traversal', 'flow=..%2F..%2Fadmin%2Fidentities', malformed()],
  ['an encoded-dot traversal', 'flow=%2e%2e/%2e%2e/admin', malformed()],
  ['a double-encoded traversal', 'flow=%252e%252e%252fadmin', malformed()],
  ['a UUID followed by a traversal', `flow=${ID}/../../admin/identities`, malformed()],
  ['a UUID followed by an encoded traversal', `flow=${ID}%2F..%2F..%2Fadmin`, malformed()],
  ['an encoded slash alone', 'flow=%2F', malformed()],
  ['an encoded backslash traversal', 'flow=..%5C..%5Cadmin', malformed()],
  ['10 KB of letters', `flow=${TEN_KB}`, malformed()],
  ['a UUID followed by 10 KB', `flow=${ID}${TEN_KB}`, malformed()],
  ['a word', 'flow=not-a-uuid', malformed()],
  ['a number', 'flow=12345', malformed()],
  ['a UUID without dashes', `flow=${ID.replace(/-/g, '')}`, malformed()],
  ['a UUID one digit short', `flow=${ID.slice(0, -1)}`, malformed()],
  ['a UUID with a non-hex digit', `flow=${ID.slice(0, -1)}g`, malformed()],
  ['a UUID in braces', `flow=%7B${ID}%7D`, malformed()],
  ['a URN UUID', `flow=urn:uuid:${ID}`, malformed()],
  ['a UUID with trailing junk', `flow=${ID}x`, malformed()],
  ['a UUID with a trailing space', `flow=${ID}%20`, malformed()],
  ['a UUID with a leading space', `flow=%20${ID}`, malformed()],
  ['a UUID with a trailing plus (a space)', `flow=${ID}+`, malformed()],
  ['a UUID with a trailing NUL', `flow=${ID}%00`, malformed()],
  ['a NUL byte alone', 'flow=%00', malformed()],
  ['a UUID with CR/LF and a header', `flow=${ID}%0D%0AX-Injected:%201`, malformed()],
  ['a UUID with an encoded ampersand and a second id', `flow=${ID}%26id%3D${ID}`, malformed()],
  ['a UUID with an encoded hash', `flow=${ID}%23top`, malformed()],
  ['a UUID with a semicolon', `flow=${ID};x`, malformed()],
  ['a UUID with full-width digits', `flow=${encodeURIComponent(ID.replace('5', '\uff15'))}`, malformed()],
  ['a UUID with a Cyrillic e', `flow=${encodeURIComponent(ID.replace('e', '\u0435'))}`, malformed()],
  ['a UUID with a zero-width space', `flow=${ID}%E2%80%8B`, malformed()],
  ['broken percent-encoding', 'flow=%E0%A4%A', malformed()],
  ['a lone percent sign', 'flow=%', malformed()],
  ['two different ids', `flow=${ID}&flow=5e2c0c6e-1111-4000-8000-00000000ffff`, malformed(/is given more than once/)],
  ['the same id twice', `flow=${ID}&flow=${ID}`, malformed(/is given more than once/)],
  ['an id and an empty id', `flow=&flow=not-a-uuid`, malformed()],
  ['a lower-case UUID', `flow=${ID}`, uuid(ID)],
  ['an upper-case UUID', `flow=${ID.toUpperCase()}`, uuid(ID)],
  ['a mixed-case UUID', `flow=5E2c0C6e-1111-4000-8000-00000000AbCd`, uuid(ID)],
  ['an empty id', 'flow=', absent],
  ['an array-style parameter name', `flow[]=${ID}`, absent],
  ['an upper-case parameter name', `FLOW=${ID}`, absent],
];

/** The same query with `flow` renamed to `id` (the error page's and Kratos' parameter), spelling kept. */
const asIdParameter = (query: string) => query.replace(/(^|&)flow(?=[=[])/g, '$1id').replace(/(^|&)FLOW=/g, '$1ID=');

const FLOWS = ['login', 'registration', 'settings', 'recovery', 'verification'] as const;

const NOT_FOUND = JSON.stringify({ error: { code: 404, status: 'Not Found', message: 'Unable to locate the resource', reason: 'no such flow' } });

let faulty: FaultyKratos;
let flowPort: number;
let proxyPort: number;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  faulty = await startFaultyKratos((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(NOT_FOUND);
  });
  const report = (err: { status?: number; code?: string }, _req: IncomingMessage, res: ServerResponse, _next: unknown) => {
    res.statusCode = err.status ?? 500;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ code: err.code ?? null }));
  };
  const flowApp = express();
  flowApp.use(flowRoutes({ publicUrl: faulty.url }));
  flowApp.use(report);
  const proxyApp = express();
  proxyApp.use(kratosProxy({ publicUrl: faulty.url, browserUrl: '/.ory' }));
  proxyApp.use(report);
  for (const app of [flowApp, proxyApp]) {
    const server = await listen(app as never);
    closers.push(server.close);
    if (app === flowApp) flowPort = Number(new URL(server.url).port);
    else proxyPort = Number(new URL(server.url).port);
  }
});

afterAll(async () => {
  await closeSharedContexts();
  for (const close of closers) await close();
  await faulty.close();
});

/** The Kratos requests a step caused, as URLs relative to Kratos. */
async function kratosCalls<T>(step: () => Promise<T>): Promise<[T, string[]]> {
  const before = faulty.requests.length;
  const result = await step();
  return [result, faulty.requests.slice(before).map((request) => request.url)];
}

describe.each(FLOWS)('the /%s page', (flow) => {
  // Not a UUID: a 400 page and Kratos is never asked. A UUID: Kratos is asked once, on the flow's own path
  // with the id lower-cased, and its 404 starts a fresh flow. No id: the flow starts.
  it.each(QUERIES)('%s', async (_name, query, outcome) => {
    const [answer, calls] = await kratosCalls(() => rawGet(flowPort, `/${flow}?${query}`));
    if (outcome.kind === 'malformed') {
      expect(answer.status).toBe(400);
      expect(answer.headers.location).toBeUndefined();
      expect(answer.headers['content-type']).toEqual(['text/html; charset=utf-8']);
      expect(answer.body.replace(/&quot;/g, '"')).toMatch(outcome.message);
      expect(calls).toEqual([]);
    } else if (outcome.kind === 'uuid') {
      expect(calls).toEqual([`/self-service/${flow}/flows?id=${outcome.id}`]);
      expect(answer.status).toBe(303);
      expect(locationOf(answer)).toBe(`${faulty.url}/self-service/${flow}/browser`);
      expect(answer.headers['set-cookie']?.[0]).toMatch(/^kratos_express_retry=1;/);
    } else {
      expect(calls).toEqual([]);
      expect(answer.status).toBe(303);
      const start = new URL(locationOf(answer)!);
      // Settings without a session signs in first, coming back to the settings page.
      expect(start.origin + start.pathname).toBe(`${faulty.url}/self-service/${flow === 'settings' ? 'login' : flow}/browser`);
    }
  });
});

describe('the /error page', () => {
  // Error ids follow the same rule; every outcome without a known error is the 404 page.
  it.each(QUERIES.map(([name, query, outcome]) => [name, asIdParameter(query), outcome] as const))(
    '%s',
    async (_name, query, outcome) => {
      const [answer, calls] = await kratosCalls(() => rawGet(flowPort, `/error?${query}`));
      expect(answer.status).toBe(404);
      expect(answer.headers.location).toBeUndefined();
      expect(calls).toEqual(outcome.kind === 'uuid' ? [`/self-service/errors?id=${outcome.id}`] : []);
    },
  );
});

describe('kratosProxy', () => {
  /** [name, target under /.ory, what Kratos receives (undefined: refused with PROXY_BAD_PATH)]. */
  const TARGETS: [string, string, string | undefined][] = [
    ...QUERIES.map(([name, query]): [string, string, string] => [`a flow query with ${name}`, `/self-service/login/flows?${asIdParameter(query)}`, `/self-service/login/flows?${asIdParameter(query)}`]),
    ['a traversal in the path', '/self-service/login/flows/../../../admin/identities', undefined],
    ['an encoded traversal in the path', '/self-service/login/flows/..%2f..%2fadmin%2fidentities', undefined],
    ['encoded dot segments in the path', '/self-service/%2e%2e/admin/identities', undefined],
    ['an upper-case encoded dot segment', '/self-service/%2E%2E/%2E%2E/admin/identities', undefined],
    ['a half-encoded dot segment', '/self-service/.%2e/admin/identities', undefined],
    ['an encoded slash after the flow', '/self-service/login/flows%2f..%2f..%2fadmin', undefined],
    ['an encoded backslash traversal', '/self-service/login/flows%5c..%5cadmin', undefined],
    ['a raw backslash traversal', '/self-service/login/flows\\..\\..\\admin', undefined],
    ['a single dot segment', '/self-service/login/./flows?id=x', undefined],
    ['a traversal behind a semicolon', '/self-service/login/flows;/../../admin', undefined],
    ['an encoded NUL in the path', '/self-service/login/flows%00', undefined],
    ['an encoded CR/LF in the path', '/self-service/login/flows%0d%0aX-Injected:1', undefined],
    ['broken percent-encoding in the path', '/self-service/login/flows%E0%A4%A', undefined],
    ['a flow id as a path segment', `/self-service/login/flows/${ID}`, `/self-service/login/flows/${ID}`],
    ['a double-encoded traversal in the path', '/self-service/login/flows/%252e%252e/admin', '/self-service/login/flows/%252e%252e/admin'],
    ['an encoded question mark in the path', '/self-service/login/flows%3Fid=x', '/self-service/login/flows%3Fid=x'],
  ];

  // Kratos sees the browser's query exactly as sent, on the path asked for; a path that could mean
  // another endpoint is a 400 of the proxy and Kratos hears nothing.
  it.each(TARGETS)('%s', async (_name, target, expected) => {
    const [answer, calls] = await kratosCalls(() => rawGet(proxyPort, `/.ory${target}`));
    if (expected === undefined) {
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).code).toBe('PROXY_BAD_PATH');
      expect(calls).toEqual([]);
    } else {
      expect(calls).toEqual([expected]);
      expect(answer.status).toBe(404);
      expect(answer.body).toBe(NOT_FOUND);
      expect(faulty.requests.at(-1)!.headers['x-injected']).toBeUndefined();
    }
  });

  it('answers the admin API with its own 404, whatever the flow id', async () => {
    const [answer, calls] = await kratosCalls(() => rawGet(proxyPort, `/.ory/admin/identities?flow=${ID}`));
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).code).toBe('PROXY_NOT_FOUND');
    expect(calls).toEqual([]);
  });
});

describe('against the emulator', () => {
  let app: LateServer;
  let kratos: TestEmulator;
  beforeAll(async () => {
    ({ app, kratos } = await startPair());
    const server = express();
    server.use(flowRoutes({ publicUrl: kratos.publicUrl }));
    app.set(server as never);
  });
  afterAll(async () => {
    await closeSharedContexts();
    await app.close();
    await kratos.close();
  });

  // Kratos' ids are lower-case UUIDs and the kit looks flows up lower-cased, so an upper-cased link to a
  // real flow still shows that flow.
  it.each(['login', 'registration', 'recovery', 'verification'])('renders a real %s flow from its upper-cased id', async (flow) => {
    const browser = new Browser();
    const first = await browser.get(`${app.url}/${flow}`);
    expect(first.status).toBe(200);
    const id = new URL(first.url).searchParams.get('flow')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const upper = await browser.get(`${app.url}/${flow}?flow=${id.toUpperCase()}`);
    expect(upper.status).toBe(200);
    expect(upper.hops).toHaveLength(1);
    expect(upper.body).toContain(`flow=${id}`);
  });

  // An unknown UUID restarts the flow once and the browser ends on a fresh one.
  it('starts a fresh flow for an unknown UUID and lands on it', async () => {
    const browser = new Browser();
    const page = await browser.get(`${app.url}/login?flow=${ID.toUpperCase()}`);
    expect(page.status).toBe(200);
    expect(page.hops[1]).toBe(`${kratos.publicUrl}/self-service/login/browser`);
    expect(new URL(page.url).searchParams.get('flow')).not.toBe(ID);
  });
});

it('covers the flow-id shapes of each kind', () => {
  expect(QUERIES.filter(([, , o]) => o.kind === 'malformed').length).toBeGreaterThanOrEqual(30);
});
