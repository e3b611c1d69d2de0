import { authGate, forwardAuth, kratosProxy } from '../../lib/proxy';

const publicUrl = 'http://127.0.0.1:4433';
const upstream = 'http://127.0.0.1:3000';

function problemsOf(create: () => unknown): string {
  try {
    create();
  } catch (err) {
    expect((err as { code?: string }).code).toBe('KRATOS_CONFIG_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('authGate options', () => {
  it.each([
    [{ publicUrl }, /upstream: is not set/],
    [{ publicUrl, upstream: 'ftp://x' }, /upstream: "ftp:\/\/x" is not an http\(s\) URL/],
    [{ publicUrl, upstream: 'http://u:p@x' }, /upstream: .* without credentials/],
    [{ publicUrl, upstream, rules: {} }, /rules: \{\} is not a list/],
    [{ publicUrl, upstream, rules: [{ path: 'api' }] }, /rules\[0\]\.path: "api" is not a path pattern/],
    [{ publicUrl, upstream, rules: [{ path: '/a', access: 'open' }] }, /rules\[0\]\.access: "open" is not one of/],
    [{ publicUrl, upstream, rules: [{ path: '/a', methods: 'GET' }] }, /rules\[0\]\.methods: "GET" is not a list of HTTP methods/],
    [{ publicUrl, upstream, rules: [{ path: '/a', maxAge: 'soon' }] }, /rules\[0\]\.maxAge: "soon" is not a valid duration/],
    [{ publicUrl, upstream, rules: [{ path: '/a', access: 'public', aal: 'aal2' }] }, /rules\[0\]: aal, maxAge and check only apply to access 'session'/],
    [{ publicUrl, upstream, rules: [{ path: '/a', acess: 'public' }] }, /rules\[0\]\.acess: unknown option\. Did you mean access\?/],
    [{ publicUrl, upstream, headers: { 'X-User-Id': 'identity.credentials..x' } }, /headers\.X-User-Id: "identity\.credentials\.\.x" is not a session field/],
    [{ publicUrl, upstream, headers: { 'Bad Header': 'id' } }, /headers: "Bad Header" is not a valid header name/],
    [{ publicUrl, upstream, headers: { Host: 'id' } }, /headers: "Host" is a header the proxy manages itself/],
    [{ publicUrl, upstream, headers: { 'X-A': 'id', x_a: 'id' } }, /headers: "x_a" is listed twice/],
    [{ publicUrl, upstream, jwt: { algorithm: 'HS256' } }, /jwt\.algorithm: "HS256" is not supported/],
    [{ publicUrl, upstream, jwt: { key: '/does/not/exist.json' } }, /jwt\.key: "\/does\/not\/exist\.json" cannot be read as JSON/],
    [{ publicUrl, upstream, jwt: { claims: { sub: 'id' } } }, /jwt\.claims\.sub: is set by the gate itself/],
    [{ publicUrl, upstream, jwt: { tokenizeAs: 't', ttl: '1m' } }, /jwt\.ttl: cannot be combined with jwt\.tokenizeAs/],
    [{ publicUrl, upstream, trustedProxies: ['10.0.0.0/33'] }, /trustedProxies\[0\]: "10\.0\.0\.0\/33" is not an IP address or CIDR range/],
    [{ publicUrl, upstream, upstreamTimeout: -1 }, /upstreamTimeout: -1 is not a valid duration/],
    [{ publicUrl, upstream, stripHeaders: 'X-A' }, /stripHeaders: "X-A" is not a list of header names/],
    [{ publicUrl, upstream, upstrem: 'x' }, /upstrem: unknown option\. Did you mean upstream\?/],
    [{ upstream, publicUrl: 'nope' }, /publicUrl: "nope" is not a valid http\(s\) URL/],
  ])('refuses %j at creation', (options, message) => {
    expect(problemsOf(() => authGate(options as never))).toMatch(message);
  });

  it('reports every problem in one error', () => {
    const message = problemsOf(() => authGate({ publicUrl: 'nope', rules: 'x', jwt: { algorithm: 'none' } } as never));
    expect(message).toMatch(/upstream: is not set/);
    expect(message).toMatch(/rules: "x" is not a list/);
    expect(message).toMatch(/jwt\.algorithm/);
    expect(message).toMatch(/publicUrl: "nope"/);
  });

  it('explains app.use(authGate) without calling the factory', () => {
    const fakeReq = { headers: {}, socket: {} };
    expect(problemsOf(() => (authGate as unknown as (r: unknown) => unknown)(fakeReq))).toMatch(/authGate was mounted without being called/);
  });
});

describe('kratosProxy and forwardAuth options', () => {
  it.each([
    [() => kratosProxy({ publicUrl, prefix: 'ory' }), /prefix: "ory" is not a path/],
    [() => kratosProxy({ publicUrl, prefix: '/' }), /prefix: "\/" is not a path/],
    [() => kratosProxy({ publicUrl, cookieDomain: 'a b' }), /cookieDomain: "a b" is not a domain/],
    [() => kratosProxy({ publicUrl, health: 'yes' as never }), /health: "yes" is not true or false/],
    [() => kratosProxy({ publicUrl, proxyTimeout: 'later' }), /proxyTimeout: "later" is not a valid duration/],
    [() => forwardAuth({ publicUrl, trustedProxies: 'loopback' as never }), /trustedProxies: "loopback" is not a list/],
    [() => forwardAuth({ publicUrl, redirectBrowsers: 1 as never }), /redirectBrowsers: 1 is not true or false/],
    [() => forwardAuth({ publicUrl, jwt: { tokenizeAs: 'x' } }), /jwt\.tokenizeAs: is only supported by authGate/],
  ])('refuses a bad option at creation (%#)', (create, message) => {
    expect(problemsOf(create)).toMatch(message);
  });
});
