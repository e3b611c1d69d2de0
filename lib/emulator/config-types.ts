export type Aal = 'aal1' | 'aal2';
export type RequiredAal = 'aal1' | 'highest_available';
export type SameSite = 'Strict' | 'Lax' | 'None';

export interface AfterMethodConfig {
  defaultBrowserReturnUrl?: string;
  hooks: string[];
}

export interface AfterConfig extends AfterMethodConfig {
  methods: Record<string, AfterMethodConfig>;
}

export interface FlowConfig {
  uiUrl: string;
  lifespanMs: number;
  after: AfterConfig;
}

export interface SchemaConfig {
  id: string;
  url: string;
  schema: Record<string, unknown>;
}

export interface CookieConfig {
  path: string;
  domain?: string;
  sameSite: SameSite;
}

/** The Kratos configuration the emulator runs with, resolved and validated. */
export interface EmulatorConfig {
  /** Where the configuration came from: a file path or `built-in email-password`. */
  source: string;
  /** The configuration as parsed (overrides merged). */
  raw: Record<string, unknown>;
  /** `serve.public.base_url` in force, always with a trailing slash. */
  baseUrl: string;
  /** `serve.public.base_url` exactly as configured (the CSRF cookie name hashes this string). */
  rawBaseUrl: string;
  defaultBrowserReturnUrl: string;
  allowedReturnUrls: string[];
  flows: {
    login: FlowConfig & { style: 'unified' | 'identifier_first' };
    registration: FlowConfig & { enabled: boolean; legacyOneStep: boolean };
    settings: FlowConfig & { privilegedSessionMaxAgeMs: number; requiredAal: RequiredAal };
    recovery: FlowConfig & { enabled: boolean; use: 'code' | 'link'; notifyUnknownRecipients: boolean };
    verification: FlowConfig & { enabled: boolean; use: 'code' | 'link' };
    logout: { after: { defaultBrowserReturnUrl?: string } };
    error: { uiUrl: string };
  };
  methods: {
    password: { enabled: boolean; minPasswordLength: number; identifierSimilarityCheck: boolean };
    profile: { enabled: boolean };
    totp: { enabled: boolean; issuer: string };
    lookupSecret: { enabled: boolean };
    code: { enabled: boolean; lifespanMs: number };
    link: { enabled: boolean };
    webauthn: { enabled: boolean };
    passkey: { enabled: boolean };
    oidc: { enabled: boolean };
  };
  session: {
    lifespanMs: number;
    whoamiRequiredAal: RequiredAal;
    cookie: CookieConfig & { name: string; persistent: boolean };
    tokenizerTemplates: Record<string, { ttlMs: number; jwksUrl: string; claimsMapperUrl?: string }>;
  };
  cookies: CookieConfig;
  featureFlags: { useContinueWithTransitions: boolean };
  identity: { defaultSchemaId: string; schemas: SchemaConfig[] };
}
