import { closeSharedContexts } from '../../lib/context';
import { createKratosEmulator } from '../../lib/emulator';
import { createResponseValidator, type ResponseEvent, type ResponseValidator } from './openapi';

export type KratosEmulator = Awaited<ReturnType<typeof createKratosEmulator>>;
export type KratosEmulatorOptions = NonNullable<Parameters<typeof createKratosEmulator>[0]>;

export interface StartEmulatorOptions extends KratosEmulatorOptions {
  /** Route templates of non-Kratos endpoints whose bodies are not validated against the spec. */
  ignoreRoutes?: readonly string[];
}

/** The emulator, whose `close()` also fails the test when any response broke the Kratos OpenAPI spec. */
export type TestEmulator = KratosEmulator & {
  /** Every spec violation recorded so far (method, route, status, schema error, body snippet). */
  readonly violations: readonly string[];
  readonly validator: ResponseValidator;
};

/**
 * Starts the in-memory Kratos emulator on loopback with free ports, validating every JSON body it sends
 * against the Kratos OpenAPI spec. `close()` stops it and then throws, listing the violations, if any
 * response did not match the spec. Use it in every test file that talks to the emulator:
 *
 * @example
 * let kratos: TestEmulator;
 * beforeAll(async () => { kratos = await startEmulator(); });
 * afterAll(() => kratos.close());
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<TestEmulator> {
  const { ignoreRoutes, onResponse, ...emulatorOptions } = options;
  const validator = createResponseValidator({ ignoreRoutes });
  const emulator = await createKratosEmulator({
    host: '127.0.0.1',
    port: 0,
    adminPort: 0,
    ...emulatorOptions,
    onResponse(event: ResponseEvent) {
      validator.onResponse(event);
      onResponse?.(event);
    },
  });

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    closed ??= Promise.resolve(emulator.close());
    await closed;
    validator.assertClean();
  }

  return new Proxy(emulator, {
    get(target, property, receiver) {
      if (property === 'close') return close;
      if (property === 'violations') return validator.violations;
      if (property === 'validator') return validator;
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as TestEmulator;
}

/** What {@link signedInEmulator} provides once its `beforeAll` has run. */
export interface SignedInEmulator {
  kratos: TestEmulator;
  /** The session cookie (`name=value`) of the one signed-in identity, and its session id. */
  cookie: string;
  sessionId: string;
}

/**
 * Registers the hooks of a test file that needs the emulator and one signed-in identity: starts both before
 * the file's tests and, after them, closes the kit's shared contexts and the emulator. Read the fields in
 * tests, not at the top level (they are set by `beforeAll`).
 *
 * @example
 * const signedIn = signedInEmulator('alice@example.com');
 * it('...', () => request(app).get('/').set('Cookie', signedIn.cookie));
 */
export function signedInEmulator(email: string): SignedInEmulator {
  const signedIn = {} as SignedInEmulator;
  beforeAll(async () => {
    signedIn.kratos = await startEmulator();
    const identity = await signedIn.kratos.createIdentity({ traits: { email } });
    const created = await signedIn.kratos.createSession(identity.id as string);
    signedIn.cookie = created.cookie;
    signedIn.sessionId = created.session.id as string;
  });
  afterAll(async () => {
    await closeSharedContexts();
    await signedIn.kratos.close();
  });
  return signedIn;
}
