import type { Core } from './core';
import { KratosError } from './errors';
import { newLookupCodes, newTotpSecret, totpFor } from './factors';
import type { UiText } from './messages';
import { T } from './messages';
import type { Credential, IdentityRecord, RecoveryAddress, VerifiableAddress } from './model';
import { hashPassword, tooSimilar } from './password';
import type { IdentitySchema, TraitError } from './schema';
import { isPlainObject, uuid } from './util';

export interface IdentityInput {
  schemaId?: string;
  traits: unknown;
  password?: string;
  state?: 'active' | 'inactive';
  verified?: boolean;
  metadataPublic?: unknown;
  metadataAdmin?: unknown;
  totp?: boolean | string;
  lookupSecrets?: boolean | string[];
  /** Imported addresses (admin API): their `verified` flags are kept when the value matches the schema. */
  verifiableAddresses?: { value?: unknown; verified?: unknown; status?: unknown; via?: unknown }[];
}

function traitErrorReason(errors: TraitError[]): string {
  return errors.map((e) => `${e.name ?? 'traits'}: ${e.message.text}`).join('; ');
}

/** Recomputes verifiable/recovery addresses from the traits, keeping the state of addresses that did not change. */
export function syncAddresses(core: Core, identity: IdentityRecord, schema: IdentitySchema, verified?: (value: string) => boolean): void {
  const now = core.now();
  const previous = new Map(identity.verifiableAddresses.map((a) => [a.value, a]));
  identity.verifiableAddresses = schema.verifiableAddresses(identity.traits).map((a): VerifiableAddress => {
    const old = previous.get(a.value);
    if (old) return old;
    const isVerified = verified?.(a.value) ?? false;
    return { id: uuid(), value: a.value, via: a.via, verified: isVerified, status: isVerified ? 'completed' : 'pending', verifiedAt: isVerified ? now : undefined, createdAt: now, updatedAt: now };
  });
  const previousRecovery = new Map(identity.recoveryAddresses.map((a) => [a.value, a]));
  identity.recoveryAddresses = schema
    .recoveryAddresses(identity.traits)
    .map((a): RecoveryAddress => previousRecovery.get(a.value) ?? { id: uuid(), value: a.value, via: a.via, createdAt: now, updatedAt: now });
  const password = identity.credentials.password;
  if (password) password.identifiers = schema.identifiers(identity.traits, 'password');
}

export function newCredential(core: Core, type: Credential['type'], identifiers: string[], config: Record<string, unknown>): Credential {
  const now = core.now();
  return { type, identifiers, config, version: 0, createdAt: now, updatedAt: now };
}

/** The name an identity is known by in authenticator apps: its first password identifier, else its id. */
export function accountName(core: Core, identity: IdentityRecord): string {
  return identity.credentials.password?.identifiers[0] ?? core.schemaFor(identity).identifiers(identity.traits)[0] ?? identity.id;
}

export function totpUrl(core: Core, identity: IdentityRecord, secret: string): string {
  return totpFor(secret, core.config.methods.totp.issuer, accountName(core, identity)).toString();
}

export function totpSecretOf(identity: IdentityRecord): string | undefined {
  const url = identity.credentials.totp?.config.totp_url;
  if (typeof url !== 'string') return undefined;
  return new URL(url).searchParams.get('secret') ?? undefined;
}

/** Kratos password policy (no breach check): min length, then identifier similarity. */
export function passwordPolicy(core: Core, identifiers: string[], password: string): UiText | undefined {
  const { minPasswordLength, identifierSimilarityCheck } = core.config.methods.password;
  const length = [...password].length;
  if (length < minPasswordLength) return T.passwordMinLength(minPasswordLength, length);
  if (length > 72) return T.passwordMaxLength(72, length);
  if (identifierSimilarityCheck && identifiers.some((id) => tooSimilar(id, password))) return T.passwordTooSimilar();
  return undefined;
}

/** The identity owning one of these identifiers (other than `exceptId`), if any. */
export function conflictingIdentity(core: Core, identifiers: string[], exceptId?: string): IdentityRecord | undefined {
  for (const ident of identifiers) {
    const other = core.store.findByIdentifier('password', ident);
    if (other && other.id !== exceptId) return other;
  }
  return undefined;
}

/** Creates and stores an identity (admin API, test helper and registration share this). */
export async function createIdentity(core: Core, input: IdentityInput): Promise<IdentityRecord> {
  const schemaId = input.schemaId ?? core.config.identity.defaultSchemaId;
  const schema = core.schemas.get(schemaId);
  if (!schema) throw new KratosError(400, { reason: `Identity schema ${JSON.stringify(schemaId)} does not exist. Use one of ${[...core.schemas.keys()].join(', ')}.` });
  if (!isPlainObject(input.traits)) throw new KratosError(400, { reason: 'traits must be a JSON object.' });
  const errors = schema.validate(input.traits);
  if (errors.length > 0) throw new KratosError(400, { reason: traitErrorReason(errors), details: { messages: errors } });
  const identifiers = schema.identifiers(input.traits, 'password');
  if (conflictingIdentity(core, identifiers)) throw new KratosError(409, { reason: 'This identity conflicts with another identity that already exists.' });
  const now = core.now();
  const identity: IdentityRecord = {
    id: uuid(),
    schemaId,
    state: input.state ?? 'active',
    stateChangedAt: now,
    traits: structuredClone(input.traits),
    metadataPublic: input.metadataPublic ?? null,
    metadataAdmin: input.metadataAdmin ?? null,
    credentials: {},
    verifiableAddresses: [],
    recoveryAddresses: [],
    createdAt: now,
    updatedAt: now,
  };
  if (input.password !== undefined) {
    if (typeof input.password !== 'string' || !input.password) throw new KratosError(400, { reason: 'credentials.password.config.password must be a non-empty string.' });
    identity.credentials.password = newCredential(core, 'password', identifiers, { hashed_password: await hashPassword(input.password) });
  }
  const imported = new Map<string, boolean>();
  for (const a of input.verifiableAddresses ?? []) {
    if (typeof a.value === 'string') imported.set(a.value.trim().toLowerCase(), a.verified === true || a.status === 'completed');
  }
  syncAddresses(core, identity, schema, (value) => input.verified ?? imported.get(value) ?? false);
  if (input.totp) {
    const secret = typeof input.totp === 'string' ? input.totp.replace(/\s+/g, '').toUpperCase() : newTotpSecret();
    identity.credentials.totp = newCredential(core, 'totp', [identity.id], { totp_url: totpUrl(core, identity, secret) });
  }
  if (input.lookupSecrets) {
    const codes = Array.isArray(input.lookupSecrets) ? input.lookupSecrets : newLookupCodes();
    identity.credentials.lookup_secret = newCredential(core, 'lookup_secret', [identity.id], { recovery_codes: codes.map((code) => ({ code })) });
  }
  core.store.putIdentity(identity);
  return identity;
}
