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
