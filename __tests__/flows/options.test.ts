import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeSharedContexts, createContext } from '../../lib/context';
import { flowRoutes, flowRoutesFor } from '../../lib/flows';
import type { FlowRoutesOptions } from '../../lib/flows';

const publicUrl = 'http://127.0.0.1:4433';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    const e = err as { code?: string; problems?: string[]; message: string };
    expect(e.code).toBe('KRATOS_CONFIG_INVALID');
    return e.problems ?? [e.message];
  }
  throw new Error('expected a configuration error');
}

afterAll(() => closeSharedContexts());

describe('flowRoutes options', () => {
  it('creates one middleware function with the default routes', () => {
    const routes = flowRoutes({ publicUrl });
    expect(typeof routes).toBe('function');
    expect(routes.length).toBe(3);
    expect(routes.name).toBe('kratosFlowRoutes');
    expect(typeof routes.redirectToFlow).toBe('function');
    expect(typeof routes.login).toBe('function');
  });

  const invalid: [string, FlowRoutesOptions, RegExp][] = [
    ['a route path without a leading slash', { routes: { login: 'login' } }, /^routes\.login: "login" is not a route path\. Use a path such as '\/login'/],
    ['a route path with a query', { routes: { login: '/login?x=1' } }, /^routes\.login: "\/login\?x=1" is not a route path/],
    ['a route path with a trailing slash', { routes: { settings: '/settings/' } }, /^routes\.settings: "\/settings\/" is not a route path/],
    ['a route path with a dot segment', { routes: { settings: '/a/../settings' } }, /^routes\.settings: .* is not a route path/],
    ['a protocol-relative route path', { routes: { login: '//evil.com' } }, /^routes\.login: "\/\/evil\.com" is not a route path/],
    ['a route given as true', { routes: { login: true as unknown as string } }, /^routes\.login: true is not a route path/],
    ['two pages on one path', { routes: { login: '/auth', registration: '/auth' } }, /^routes\.registration: "\/auth" is also the path of routes\.login/],
    ['a page on the client script path', { routes: { login: '/kratos-express.js' } }, /^routes\.login: "\/kratos-express\.js" is where the client script is served/],
    ['an unknown route', { routes: { signin: '/x' } as never }, /^routes\.signin: unknown option\./],
    ['routes that are not an object', { routes: 'login' as never }, /^routes: "login" is not an object/],
    ['a render option of the wrong type', { render: 42 as never }, /^render: 42 is neither a view name nor a function/],
    ['an empty view name', { render: '' }, /^render: "" is neither a view name nor a function/],
    ['an onFlow that is not a function', { onFlow: 'x' as never }, /^onFlow: "x" is not a function/],
    ['a fixed nonce string', { nonce: 'abc' as never }, /^nonce: "abc" is not a function\. Use \(req, res\) => res\.locals\.cspNonce/],
    ['a protocol-relative home', { home: '//evil.com' }, /^home: "\/\/evil\.com" is neither a path starting with "\/" nor an http\(s\) URL/],
    ['a javascript: home', { home: 'javascript:alert(1)' }, /^home: "javascript:alert\(1\)" is neither/],
    ['an empty appName', { appName: ' ' }, /appName: " " is not a non-empty string/],
    ['a bad stylesheet URL', { stylesheet: 'javascript:x' }, /stylesheet: "javascript:x" is not an http\(s\) URL or a relative path/],
    ['an unknown label', { labels: { nope: 'x' } as never }, /labels\.nope: not a known label/],
    ['a typo of an option', { rendr: 'x' } as never, /^rendr: unknown option\. Did you mean render\?/],
  ];
  it.each(invalid)('rejects %s at creation, naming the option and the fix', (_name, options, expected) => {
    const problems = problemsOf(() => flowRoutes({ publicUrl, ...options }));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it('reports every problem of the Kratos and route options in one error', () => {
    const problems = problemsOf(() => flowRoutes({ publicUrl: 'ftp://x', routes: { login: 'x', registration: 'y' }, home: 'nope', onFlow: 1 as never }));
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/publicUrl: "ftp:\/\/x" is not a valid http\(s\) URL/);
  });

  it('catches the factory used as a middleware without being called', () => {
    const req = { headers: {}, method: 'GET', socket: {} } as unknown as IncomingMessage;
    expect(() => (flowRoutes as unknown as (req: IncomingMessage, res: ServerResponse) => void)(req, {} as ServerResponse)).toThrow(
      'flowRoutes was used as a middleware without being called. Use app.use(flowRoutes()) instead of app.use(flowRoutes).',
    );
  });

  it('accepts disabled routes, custom paths, a view name and a render function', () => {
    expect(() => flowRoutes({ publicUrl, routes: { registration: false, login: '/sign-in', settings: '/account/settings' }, render: 'kratos/page' })).not.toThrow();
    expect(() => flowRoutes({ publicUrl, render: () => undefined, onFlow: () => undefined, nonce: () => 'abc', home: 'https://app.example.com/home' })).not.toThrow();
  });

  describe('bound to a context (createKratos)', () => {
    const context = createContext({ publicUrl });
    afterAll(() => context.close());

    it('accepts route options', () => {
      expect(typeof flowRoutesFor(context, { appName: 'Acme' })).toBe('function');
    });

    it('refuses Kratos options, which belong to createKratos', () => {
      const problems = problemsOf(() => flowRoutesFor(context, { publicUrl: 'http://x' } as never));
      expect(problems).toEqual(['publicUrl: is a Kratos option. Set it once in createKratos({ publicUrl }) instead of in flowRoutes().']);
    });

    it('reports unknown and invalid route options together', () => {
      const problems = problemsOf(() => flowRoutesFor(context, { rout: {}, home: 'x' } as never));
      expect(problems).toHaveLength(2);
    });
  });
});
