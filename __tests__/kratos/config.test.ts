import { KratosConfigError, resolveConfig, type KratosOptions } from '../../lib/kratos/config';

const noEnv = {};

function problemsOf(options: unknown, env: NodeJS.ProcessEnv = noEnv): string[] {
  try {
    resolveConfig(options as KratosOptions, env);
  } catch (err) {
    expect(err).toBeInstanceOf(KratosConfigError);
    expect((err as KratosConfigError).code).toBe('KRATOS_CONFIG_INVALID');
    return [...(err as KratosConfigError).problems];
  }
  throw new Error('expected a KratosConfigError');
}

describe('resolveConfig', () => {
  it('applies the defaults and precomputes the Kratos origin', () => {
    const config = resolveConfig({ publicUrl: 'http://127.0.0.1:4433/' }, noEnv);
    expect(config).toMatchObject({
      publicUrl: 'http://127.0.0.1:4433',
      publicOrigin: 'http://127.0.0.1:4433',
      publicPath: '',
      browserUrl: 'http://127.0.0.1:4433',
      browserUrlIsRelative: false,
      timeout: 5000,
      sessionCookieName: 'ory_kratos_session',
      connections: 64,
      cache: false,
      sessionProperty: 'session',
    });
  });

  it('falls back to KRATOS_PUBLIC_URL and KRATOS_BROWSER_URL', () => {
    const config = resolveConfig({}, { KRATOS_PUBLIC_URL: 'http://kratos:4433', KRATOS_BROWSER_URL: '/.ory/' });
    expect(config.publicUrl).toBe('http://kratos:4433');
    expect(config.browserUrl).toBe('/.ory');
    expect(config.browserUrlIsRelative).toBe(true);
  });

  it('prefers options over the environment', () => {
    const config = resolveConfig({ publicUrl: 'http://a:1' }, { KRATOS_PUBLIC_URL: 'http://b:2' });
    expect(config.publicUrl).toBe('http://a:1');
  });

  it('keeps a path prefix of the public URL', () => {
    const config = resolveConfig({ publicUrl: 'https://id.example.com/kratos/' }, noEnv);
    expect(config.publicUrl).toBe('https://id.example.com/kratos');
    expect(config.publicPath).toBe('/kratos');
    expect(config.publicOrigin).toBe('https://id.example.com');
  });

  it('parses durations once', () => {
    expect(resolveConfig({ publicUrl: 'http://k', timeout: '2s' }, noEnv).timeout).toBe(2000);
    expect(resolveConfig({ publicUrl: 'http://k', timeout: 750 }, noEnv).timeout).toBe(750);
    expect(resolveConfig({ publicUrl: 'http://k', cache: { ttl: '1m' } }, noEnv).cache).toEqual({ ttl: 60_000, max: 10_000 });
    expect(resolveConfig({ publicUrl: 'http://k', cache: { ttl: 500, max: 3 } }, noEnv).cache).toEqual({ ttl: 500, max: 3 });
  });

  it('names the option, the bad value and the fix', () => {
    expect(problemsOf({ publicUrl: 'ftp://x' })).toEqual([
      'publicUrl: "ftp://x" is not a valid http(s) URL. Set it to where your server reaches Kratos\' public API, for example http://127.0.0.1:4433.',
    ]);
  });

  it('says where a bad value came from when it came from the environment', () => {
    expect(problemsOf({}, { KRATOS_PUBLIC_URL: 'localhost:4433' })[0]).toMatch(/^publicUrl \(from KRATOS_PUBLIC_URL\): "localhost:4433"/);
  });

  it('reports a missing public URL with both ways to set it', () => {
    expect(problemsOf({})[0]).toMatch(/publicUrl: is not set\. Pass publicUrl or set KRATOS_PUBLIC_URL/);
  });

  it('lists every problem in one error', () => {
    const problems = problemsOf({
      publicUrl: 'http://user:pw@kratos',
      browserUrl: '//evil.com',
      timeout: '-5s',
      allowedReturnUrls: ['javascript:alert(1)', 'https://*.com/'],
      sessionCookieName: 'bad name',
      fetch: 'fetch',
      connections: 0,
      cache: { ttl: 'soon', max: -1, size: 3 },
      sessionProperty: 'headers',
      publicURL: 'http://x',
    });
    expect(problems).toHaveLength(13);
    expect(problems.join('\n')).toMatch(/publicURL: unknown option\. Did you mean publicUrl\?/);
    for (const name of ['publicUrl', 'browserUrl', 'timeout', 'allowedReturnUrls[0]', 'allowedReturnUrls[1]', 'sessionCookieName', 'fetch', 'connections', 'cache.ttl', 'cache.max', 'cache.size', 'sessionProperty']) {
      expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
    }
  });

  it('puts every problem in the message', () => {
    expect(() => resolveConfig({ publicUrl: 'x', timeout: 'x' }, noEnv)).toThrow(/publicUrl: "x"[\s\S]*timeout: "x"/);
  });

  it.each([
    ['publicUrl', 'http://kratos/?a=1'],
    ['publicUrl', 'http://kratos/#x'],
    ['publicUrl', 42],
    ['browserUrl', 'javascript:alert(1)'],
    ['browserUrl', '/\\evil.com'],
    ['browserUrl', '.ory'],
    ['timeout', 0],
    ['timeout', '10 minutes'],
    ['timeout', '11m'],
    ['allowedReturnUrls', 'https://app.example.com'],
    ['allowedReturnUrls', ['*']],
    ['allowedReturnUrls', ['https://app.*.example.com']],
    ['allowedReturnUrls', ['https://app.example.com/?next=1']],
    ['sessionCookieName', ''],
    ['sessionCookieName', 'a;b'],
    ['connections', 1.5],
    ['cache', true],
    ['cache', { max: 5 }],
    ['sessionProperty', '__proto__'],
    ['sessionProperty', 'kratos-session'],
  ])('rejects %s = %j', (name, value) => {
    const problems = problemsOf({ publicUrl: 'http://kratos', [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(name)).toBe(true);
  });

  it('rejects options that are not an object', () => {
    expect(problemsOf('http://kratos')[0]).toMatch(/^options: "http:\/\/kratos" is not an object/);
  });

  it('gives equal configurations equal keys and different ones different keys', () => {
    const a = resolveConfig({ publicUrl: 'http://k:1/', timeout: '5s' }, noEnv);
    const b = resolveConfig({ publicUrl: 'http://k:1', timeout: 5000 }, noEnv);
    const c = resolveConfig({ publicUrl: 'http://k:1', timeout: 4000 }, noEnv);
    expect(a.key).toBe(b.key);
    expect(a.key).not.toBe(c.key);
    const f1 = async () => ({ status: 200, headers: { forEach() {} }, text: async () => '' });
    const f2 = async () => ({ status: 200, headers: { forEach() {} }, text: async () => '' });
    expect(resolveConfig({ publicUrl: 'http://k:1', fetch: f1 }, noEnv).key).toBe(resolveConfig({ publicUrl: 'http://k:1', fetch: f1 }, noEnv).key);
    expect(resolveConfig({ publicUrl: 'http://k:1', fetch: f1 }, noEnv).key).not.toBe(resolveConfig({ publicUrl: 'http://k:1', fetch: f2 }, noEnv).key);
  });
});
