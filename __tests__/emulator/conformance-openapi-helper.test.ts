import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  createResponseValidator,
  expectSchema,
  kratosFixturePath,
  openApiToJsonSchema,
  schemaForResponse,
  validateSchema,
  type ResponseEvent,
} from '../helpers/openapi';
import { startEmulator } from '../helpers/emulator';

const identity = {
  id: '5b6c1f1e-7a52-4d1c-9f5b-1e2f0b8f3f31',
  schema_id: 'default',
  schema_url: 'http://127.0.0.1:4433/schemas/ZGVmYXVsdA',
  state: 'active',
  traits: { email: 'ada@example.com', name: { first: 'Ada', last: 'Lovelace' } },
  verifiable_addresses: [
    {
      id: '0b6c2a3e-4a1f-4b51-8c47-5a3b7c2d1e0f',
      value: 'ada@example.com',
      verified: false,
      via: 'email',
      status: 'pending',
      created_at: '2024-05-01T12:00:00.123456Z',
      updated_at: '2024-05-01T12:00:00.123456Z',
    },
  ],
  recovery_addresses: [
    {
      id: '9f1d3c2b-5e6a-4f7b-8c9d-0e1f2a3b4c5d',
      value: 'ada@example.com',
      via: 'email',
      created_at: '2024-05-01T12:00:00.123456Z',
      updated_at: '2024-05-01T12:00:00.123456Z',
    },
  ],
  metadata_public: null,
  created_at: '2024-05-01T12:00:00.123456Z',
  updated_at: '2024-05-01T12:00:00.123456Z',
  organization_id: null,
};

const session = {
  id: '3f0c9a1e-2b4d-4c6e-8f10-1a2b3c4d5e6f',
  active: true,
  expires_at: '2024-05-02T12:00:00.123456Z',
  authenticated_at: '2024-05-01T12:00:00.123456Z',
  authenticator_assurance_level: 'aal1',
  authentication_methods: [{ method: 'password', aal: 'aal1', completed_at: '2024-05-01T12:00:00.123456Z' }],
  issued_at: '2024-05-01T12:00:00.123456Z',
  identity,
  devices: [{ id: '7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', ip_address: '127.0.0.1', user_agent: 'jest', location: '' }],
};

function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(kratosFixturePath('fixtures', name), 'utf8'));
}

function event(partial: Partial<ResponseEvent>): ResponseEvent {
  return { server: 'public', method: 'GET', path: '/sessions/whoami', route: '/sessions/whoami', status: 200, contentType: 'application/json; charset=utf-8', body: undefined, ...partial };
}

describe('validateSchema', () => {
  it('accepts a session shaped as Kratos v1.3 emits it', () => {
    expect(validateSchema('session', session)).toEqual([]);
  });

  it('rejects a session whose id is not a uuid and whose aal is unknown, naming both paths', () => {
    const errors = validateSchema('session', { ...session, id: 'not-a-uuid', authenticator_assurance_level: 'aal9' });
    expect(errors).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/id must match format "uuid"/), expect.stringMatching(/^\/authenticator_assurance_level must be equal to one of the allowed values/)]),
    );
  });

  it('rejects a session without the required id', () => {
    const { id: _omitted, ...withoutId } = session;
    expect(validateSchema('session', withoutId)).toEqual([expect.stringContaining("must have required property 'id'")]);
  });

  it('rejects a nested identity whose traits are fine but whose state is not an allowed value', () => {
    const errors = validateSchema('session', { ...session, identity: { ...identity, state: 'enabled' } });
    expect(errors).toEqual([expect.stringMatching(/^\/identity\/state must be equal to one of the allowed values/)]);
  });

  it('accepts organization_id null (OpenAPI 3.0 nullable with a type and format uuid4)', () => {
    expect(validateSchema('identity', { ...identity, organization_id: null })).toEqual([]);
    expect(validateSchema('identity', { ...identity, organization_id: '8f2a1c3e-5b7d-4e9f-a1c3-e5b7d9f1a3c5' })).toEqual([]);
  });

  it('still enforces the type and uuid4 format of a nullable field when it is not null', () => {
    expect(validateSchema('identity', { ...identity, organization_id: 42 })).not.toEqual([]);
    expect(validateSchema('identity', { ...identity, organization_id: '8f2a1c3e-5b7d-1e9f-a1c3-e5b7d9f1a3c5' })).toEqual([
      expect.stringMatching(/^\/organization_id must match format "uuid4"/),
    ]);
  });

  it('accepts any value and null for a nullable schema without a type (metadata_public)', () => {
    for (const metadata of [null, { plan: 'pro' }, 'text', 3]) {
      expect(validateSchema('identity', { ...identity, metadata_public: metadata })).toEqual([]);
    }
  });

  it('uses the node_type discriminator to report the error of the matching attributes only', () => {
    const node = { type: 'input', group: 'default', attributes: { node_type: 'input', name: 'csrf_token', type: 'hidden' }, messages: [], meta: {} };
    expect(validateSchema('uiNode', node)).toEqual([expect.stringContaining("/attributes must have required property 'disabled'")]);
    expect(validateSchema('uiNode', { ...node, attributes: { ...node.attributes, node_type: 'marquee' } })).toEqual([
      expect.stringContaining('/attributes value of tag "node_type" must be in oneOf'),
    ]);
  });

  it('accepts error details, which the spec mis-declares as additionalProperties:false (CONTRACT §2.1)', () => {
    const aal2 = {
      error: {
        id: 'session_aal2_required',
        code: 403,
        status: 'Forbidden',
        message: 'Session does not fulfill the requested Authenticator Assurance Level',
        details: { redirect_browser_to: 'http://127.0.0.1:4433/self-service/login/browser?aal=aal2' },
      },
      redirect_browser_to: 'http://127.0.0.1:4433/self-service/login/browser?aal=aal2',
    };
    expect(validateSchema('errorGeneric', aal2)).toEqual([]);
    expect(validateSchema('errorGeneric', { error: { ...aal2.error, details: 'text' } })).toEqual([expect.stringMatching(/^\/error\/details must be object/)]);
  });

  it('accepts browser_location_change_required as Kratos writes it, the spec wrapping its error twice (CONTRACT §5.2)', () => {
    const url = 'http://127.0.0.1:4433/self-service/login/browser?aal=aal2';
    const body = {
      error: { id: 'browser_location_change_required', code: 422, status: 'Unprocessable Entity', reason: `In order to complete this flow please redirect the browser to: ${url}`, message: 'browser location change required' },
      redirect_browser_to: url,
    };
    expect(validateSchema('errorBrowserLocationChangeRequired', body)).toEqual([]);
    expect(validateSchema('errorBrowserLocationChangeRequired', { ...body, error: { code: 422 } })).toEqual([expect.stringContaining("/error must have required property 'message'")]);
  });

  it('keeps additionalProperties of the spec elsewhere (identity credentials must be credential objects)', () => {
    expect(validateSchema('identity', { ...identity, credentials: { password: 'secret' } })).not.toEqual([]);
  });

  it('validates an inline OpenAPI schema', () => {
    const inline = { type: 'object', required: ['status'], properties: { status: { type: 'string', nullable: true } } };
    expect(validateSchema(inline, { status: null })).toEqual([]);
    expect(validateSchema(inline, {})).toEqual([expect.stringContaining("must have required property 'status'")]);
  });

  it('throws for a schema name the spec does not have', () => {
    expect(() => validateSchema('sessionz', {})).toThrow('no component schema named "sessionz"');
  });
});

describe('real Kratos node lists (shared/kratos/fixtures)', () => {
  const files = readdirSync(kratosFixturePath('fixtures')).filter((f) => f.endsWith('.json'));

  it('has every fixture named in MANIFEST.tsv', () => {
    const manifest = readFileSync(kratosFixturePath('fixtures', 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t')[0]);
    expect(files.sort()).toEqual(manifest.sort());
  });

  // Kratos' snapshot tests strip volatile values before saving (CONTRACT §10): the TOTP QR `src` and the
  // secret's `text`. Put placeholders back so that the rest of each node is checked against the spec.
  function restoreStrippedValues(nodes: Array<{ attributes: Record<string, unknown> }>) {
    return nodes.map((node) => {
      const attributes = { ...node.attributes };
      if (attributes.node_type === 'img' && !('src' in attributes)) attributes.src = 'data:image/png;base64,';
      const text = attributes.text as Record<string, unknown> | undefined;
      if (attributes.node_type === 'text' && text && !('text' in text)) attributes.text = { ...text, text: 'JBSWY3DPEHPK3PXP' };
      return { ...node, attributes };
    });
  }

  it.each(files)('%s validates against the uiNodes schema', (file) => {
    const data = readFixture(file) as unknown[] | { ui?: { nodes: unknown }; nodes?: unknown };
    const nodes = Array.isArray(data) ? data : (data.ui?.nodes ?? data.nodes);
    expect(Array.isArray(nodes)).toBe(true);
    expectSchema('uiNodes', restoreStrippedValues(nodes as Array<{ attributes: Record<string, unknown> }>));
  });
});

describe('openApiToJsonSchema', () => {
  it('turns nullable with a type into a type list and nullable without a type into anyOf null', () => {
    expect(openApiToJsonSchema({ type: 'string', format: 'uuid4', nullable: true })).toEqual({ type: ['string', 'null'], format: 'uuid4' });
    expect(openApiToJsonSchema({ description: 'raw', nullable: true })).toEqual({ anyOf: [{ description: 'raw' }, { type: 'null' }] });
    expect(openApiToJsonSchema({ type: 'string', enum: ['a'], nullable: true })).toEqual({ anyOf: [{ type: 'string', enum: ['a'] }, { type: 'null' }] });
  });

  it('keeps property names that look like OpenAPI keywords and drops vendor extensions and examples', () => {
    const converted = openApiToJsonSchema({
      type: 'object',
      'x-go-name': 'Thing',
      example: { a: 1 },
      properties: { example: { type: 'string', example: 'x' }, nullable: { type: 'boolean' } },
    });
    expect(converted).toEqual({ type: 'object', properties: { example: { type: 'string' }, nullable: { type: 'boolean' } } });
  });
});

describe('schemaForResponse', () => {
  it('names the component schema of a documented status', () => {
    expect(schemaForResponse('GET', '/sessions/whoami', 200)).toBe('session');
    expect(schemaForResponse('get', '/self-service/login/flows', 410)).toBe('errorGeneric');
    expect(schemaForResponse('POST', '/self-service/login', 400)).toBe('loginFlow');
    expect(schemaForResponse('POST', '/admin/identities', 201)).toBe('identity');
  });

  it('falls back to the default response for an undocumented status', () => {
    expect(schemaForResponse('GET', '/sessions/whoami', 500)).toBe('errorGeneric');
    expect(schemaForResponse('GET', '/self-service/settings/browser', 410)).toBe('errorGeneric');
  });

  it('resolves components/responses references to their schema', () => {
    expect(schemaForResponse('GET', '/admin/identities/{id}/sessions', 200)).toEqual({ type: 'array', items: { $ref: '#/components/schemas/session' } });
    expect(schemaForResponse('GET', '/admin/courier/messages', 200)).toEqual({ type: 'array', items: { $ref: '#/components/schemas/message' } });
  });

  it('returns an inline schema when the spec declares one', () => {
    expect(schemaForResponse('GET', '/health/alive', 200)).toMatchObject({ type: 'object', required: ['status'] });
  });

  it('returns null for responses documented without a JSON body', () => {
    expect(schemaForResponse('GET', '/self-service/login/browser', 303)).toBeNull();
    expect(schemaForResponse('DELETE', '/admin/identities/{id}', 204)).toBeNull();
  });

  it('returns undefined for routes, methods and statuses the spec does not document', () => {
    expect(schemaForResponse('GET', '/self-service/nope', 200)).toBeUndefined();
    expect(schemaForResponse('PUT', '/self-service/login/flows', 200)).toBeUndefined();
    expect(schemaForResponse('GET', '/self-service/errors', 400)).toBeUndefined();
  });

  it('maps HEAD to GET, any method of whoami to GET and GET link callbacks of submit routes to POST', () => {
    expect(schemaForResponse('HEAD', '/health/ready', 200)).toMatchObject({ required: ['status'] });
    expect(schemaForResponse('DELETE', '/sessions/whoami', 401)).toBe('errorGeneric');
    expect(schemaForResponse('GET', '/self-service/verification', 200)).toBe('verificationFlow');
  });
});

describe('createResponseValidator', () => {
  it('records nothing for valid bodies and for bodiless redirects', () => {
    const validator = createResponseValidator();
    validator.onResponse(event({ body: session }));
    validator.onResponse(event({ method: 'GET', route: '/self-service/login/browser', path: '/self-service/login/browser', status: 303, contentType: undefined }));
    validator.onResponse(event({ status: 401, contentType: 'application/json', body: { error: { code: 401, status: 'Unauthorized', message: 'The request could not be authorized' } } }));
    expect(validator.violations).toEqual([]);
    expect(() => validator.assertClean()).not.toThrow();
  });

  it('records the method, route, status, schema, error path and a snippet of the body', () => {
    const validator = createResponseValidator();
    validator.onResponse(event({ path: '/sessions/whoami?x=1', body: { ...session, active: 'yes' } }));
    expect(validator.violations).toHaveLength(1);
    const [violation] = validator.violations;
    expect(violation).toContain('GET /sessions/whoami?x=1 [public /sessions/whoami] -> 200');
    expect(violation).toContain('schema "session"');
    expect(violation).toContain('/active must be boolean');
    expect(violation).toContain('"active":"yes"');
    expect(() => validator.assertClean()).toThrow(/1 response\(s\) violate the Kratos OpenAPI spec/);
  });

  it('records a JSON body on a route, method or status the spec does not document', () => {
    const validator = createResponseValidator();
    validator.onResponse(event({ route: '/self-service/nope', body: {} }));
    validator.onResponse(event({ route: '/self-service/errors', status: 400, body: {} }));
    validator.onResponse(event({ route: '', body: { error: {} } }));
    expect(validator.violations).toEqual([
      expect.stringContaining('route "/self-service/nope" is not a path of the spec'),
      expect.stringContaining('status 400 is not documented'),
      expect.stringContaining('matched no spec route'),
    ]);
  });

  it('records a JSON body where the spec documents an empty response, and a missing documented body', () => {
    const validator = createResponseValidator();
    validator.onResponse(event({ method: 'DELETE', route: '/admin/identities/{id}', server: 'admin', status: 204, body: {} }));
    validator.onResponse(event({ status: 200, contentType: undefined, body: undefined }));
    validator.onResponse(event({ route: '/.well-known/ory/webauthn.js', status: 200, contentType: 'text/javascript; charset=UTF-8', body: undefined }));
    expect(validator.violations).toEqual([
      expect.stringContaining('JSON body sent where the spec documents an empty response'),
      expect.stringContaining('the spec documents a JSON body (schema "session") but none was sent'),
    ]);
  });

  it('checks a 400 error envelope of a flow submit against errorGeneric, as Kratos sends both there (CONTRACT §2.4)', () => {
    const validator = createResponseValidator();
    const submit = { method: 'POST', route: '/self-service/login', path: '/self-service/login', status: 400, contentType: 'application/json' };
    validator.onResponse(event({ ...submit, body: { error: { code: 400, status: 'Bad Request', reason: 'The flow query parameter is missing or malformed.', message: 'The request was malformed or contained invalid parameters' } } }));
    expect(validator.violations).toEqual([]);
    validator.onResponse(event({ ...submit, body: { error: { code: 400 } } }));
    validator.onResponse(event({ ...submit, body: { id: 'not-a-flow' } }));
    expect(validator.violations).toEqual([expect.stringContaining('schema "errorGeneric"'), expect.stringContaining('schema "loginFlow"')]);
  });

  it('records a JSON body sent without a JSON content type', () => {
    const validator = createResponseValidator();
    validator.onResponse(event({ contentType: 'text/html; charset=utf-8', body: session }));
    expect(validator.violations).toEqual([expect.stringContaining('JSON body sent with Content-Type "text/html; charset=utf-8"')]);
  });

  it('skips routes it is told to ignore', () => {
    const validator = createResponseValidator({ ignoreRoutes: ['/emulator/state'] });
    validator.onResponse(event({ route: '/emulator/state', body: { anything: true } }));
    expect(validator.violations).toEqual([]);
  });
});

describe('the repository copy of shared/kratos', () => {
  const shared = join(__dirname, '..', '..', '..', 'shared', 'kratos');
  const copies = ['openapi.json', ...readdirSync(kratosFixturePath('fixtures')).map((f) => `fixtures/${f}`), 'config/email-password/kratos.yml', 'config/email-password/identity.schema.json', 'config/all-strategies/kratos.yml', 'config/all-strategies/identity.schema.json'];

  (existsSync(shared) ? it.each(copies) : it.skip.each(copies))('%s is identical to ../shared/kratos', (file) => {
    expect(readFileSync(kratosFixturePath(file), 'utf8')).toBe(readFileSync(join(shared, file), 'utf8'));
  });
});

describe('startEmulator', () => {
  it('validates every JSON body of a real emulator, passes events on, and closes cleanly when all match', async () => {
    const seen: ResponseEvent[] = [];
    const kratos = await startEmulator({ onResponse: (e) => seen.push(e) });
    try {
      const whoami = await fetch(`${kratos.publicUrl}/sessions/whoami`);
      expect(whoami.status).toBe(401);
      await whoami.text();
      await (await fetch(`${kratos.adminUrl}/admin/identities`)).text();
      expect(seen.map((e) => `${e.server} ${e.route} ${e.status}`)).toEqual(['public /sessions/whoami 401', 'admin /admin/identities 200']);
      expect(kratos.violations).toEqual([]);
    } finally {
      await kratos.close();
    }
  });

  it('makes close() fail with every violation recorded', async () => {
    const kratos = await startEmulator();
    kratos.validator.onResponse(event({ body: { id: 'not-a-uuid' } }));
    await expect(kratos.close()).rejects.toThrow(/1 response\(s\) violate the Kratos OpenAPI spec:\n.*GET \/sessions\/whoami.*\/id must match format "uuid"/s);
  });
});
