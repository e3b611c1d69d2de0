import express from 'express';
import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { KratosConfigError } from '../../lib/kratos/config';
import { anyOf, hasVerifiedAddress, metadataEquals, traitEquals, traitIncludes } from '../../lib/session/checks';
import { createKratos } from '../../lib/create-kratos';
import { optionalSession, requireSession } from '../../lib/session/factories';
import { express4 } from '../helpers/apps';

const publicUrl = 'http://127.0.0.1:4433';

function configError(create: () => unknown): KratosConfigError {
  try {
    create();
  } catch (err) {
    expect(err).toBeInstanceOf(KratosConfigError);
    return err as KratosConfigError;
  }
  throw new Error('expected a KratosConfigError');
}

afterAll(() => closeSharedContexts());

describe('requireSession() configuration errors', () => {
  it('reports a bad aal, a bad maxAge, a typo and a bad URL in one error', () => {
    const err = configError(() =>
      requireSession({ publicUrl: 'ftp://x', aal: 'aal3' as 'aal2', maxAge: 'ten minutes', chek: () => true } as Parameters<typeof requireSession>[0]),
    );
    expect(err.code).toBe('KRATOS_CONFIG_INVALID');
    expect(err.problems).toHaveLength(4);
    expect(err.message).toContain('aal: "aal3" is not an assurance level.');
    expect(err.message).toContain('maxAge: "ten minutes" is not a valid duration.');
    expect(err.message).toContain('chek: unknown option. Did you mean check?');
    expect(err.message).toContain('publicUrl: "ftp://x" is not a valid http(s) URL.');
  });

  it.each([
    [{ check: 'admin' }, /^check: "admin" is not a function/],
    [{ onUnauthenticated: 'login' }, /^onUnauthenticated: "login" is not valid/],
    [{ logoutUrl: 'yes' }, /^logoutUrl: "yes" is not a boolean/],
    [{ onError: 'continue' }, /^onError: requireSession\(\) always passes Kratos failures to next\(err\)/],
    [{ maxage: '1m' }, /^maxage: unknown option\. Did you mean maxAge\?/],
  ])('rejects %j', (options, message) => {
    const err = configError(() => requireSession({ publicUrl, ...(options as object) }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(message);
  });

  it('needs a Kratos URL from the options or the environment', () => {
    const saved = process.env.KRATOS_PUBLIC_URL;
    delete process.env.KRATOS_PUBLIC_URL;
    try {
      expect(configError(() => requireSession()).message).toMatch(/publicUrl: is not set\. Pass publicUrl or set KRATOS_PUBLIC_URL/);
    } finally {
      if (saved !== undefined) process.env.KRATOS_PUBLIC_URL = saved;
    }
  });

  it('reads KRATOS_PUBLIC_URL when no publicUrl is given', () => {
    const saved = process.env.KRATOS_PUBLIC_URL;
    process.env.KRATOS_PUBLIC_URL = publicUrl;
    try {
      expect(typeof requireSession()).toBe('function');
    } finally {
      if (saved === undefined) delete process.env.KRATOS_PUBLIC_URL;
      else process.env.KRATOS_PUBLIC_URL = saved;
    }
  });

  it('returns a named middleware function', () => {
    expect(requireSession({ publicUrl }).name).toBe('requireSessionMiddleware');
    expect(optionalSession({ publicUrl }).name).toBe('optionalSessionMiddleware');
  });
});

describe('optionalSession() configuration errors', () => {
  it('refuses the options that only make sense on requireSession()', () => {
    const err = configError(() => optionalSession({ publicUrl, aal: 'aal2', maxAge: '1m' } as Parameters<typeof optionalSession>[0]));
    expect(err.problems).toEqual([
      'aal: optionalSession() never redirects or refuses; use requireSession({ aal }) on the routes that need it.',
      'maxAge: optionalSession() never redirects or refuses; use requireSession({ maxAge }) on the routes that need it.',
    ]);
  });

  it('rejects an unknown onError', () => {
    expect(configError(() => optionalSession({ publicUrl, onError: 'ignore' as 'continue' })).problems[0]).toMatch(/^onError: "ignore" is not valid/);
  });
});

describe('createKratos()', () => {
  it('rejects Kratos options on a route and points at createKratos()', async () => {
    const kit = createKratos({ publicUrl }, {});
    const err = configError(() => kit.requireSession({ timeout: '1s' } as Parameters<typeof kit.requireSession>[0]));
    expect(err.problems).toEqual(['timeout: Kratos options belong in createKratos({ ... }), not in requireSession().']);
    await kit.close();
  });

  it('throws one error for invalid Kratos options', () => {
    const err = configError(() => createKratos({ publicUrl: 'nope', cache: { ttl: 'x' } }, {}));
    expect(err.problems).toHaveLength(2);
  });
});

describe.each([
  ['Express 5', () => express()],
  ['Express 4', () => express4()],
])('app.use(requireSession) without calling the factory on %s', (_name, makeApp) => {
  it.each([
    ['requireSession', requireSession],
    ['optionalSession', optionalSession],
  ])('answers with a clear error for %s', async (name, factory) => {
    const app = makeApp();
    app.use(factory as unknown as express.RequestHandler);
    app.get('/', (_req, res) => void res.send('should not get here'));
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).send(err.message));
    const res = await request(app).get('/');
    expect(res.status).toBe(500);
    expect(res.text).toBe(`It looks like you wrote app.use(${name}); call the factory instead: app.use(${name}()).`);
  });
});

describe('check helpers', () => {
  it.each([
    [() => traitEquals('', 1), /^traitEquals: "" is not a valid path/],
    [() => traitEquals('a..b', 1), /^traitEquals: "a\.\.b" is not a valid path/],
    [() => traitIncludes('__proto__.x', 1), /^traitIncludes: "__proto__\.x" is not a valid path/],
    [() => traitIncludes('groups'), /^traitIncludes: give at least one value/],
    [() => metadataEquals(42 as unknown as string, 1), /^metadataEquals: 42 is not a valid path/],
    [() => hasVerifiedAddress('phone' as 'sms'), /^hasVerifiedAddress: "phone" is not an address kind/],
    [() => anyOf(), /^anyOf: pass one or more check functions/],
  ])('throws at creation for bad arguments (%#)', (create, message) => {
    expect(create).toThrow(message);
  });
});
