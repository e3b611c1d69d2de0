import type { Aal } from './config-types';
import type { UiContainer } from './nodes';

export interface Credential {
  type: 'password' | 'totp' | 'lookup_secret' | 'code';
  identifiers: string[];
  config: Record<string, unknown>;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface VerifiableAddress {
  id: string;
  value: string;
  verified: boolean;
  via: 'email' | 'sms';
  status: 'pending' | 'sent' | 'completed';
  verifiedAt?: number;
  createdAt: number;
  updatedAt: number;
}

export interface RecoveryAddress {
  id: string;
  value: string;
  via: 'email' | 'sms';
  createdAt: number;
  updatedAt: number;
}

export interface IdentityRecord {
  id: string;
  schemaId: string;
  state: 'active' | 'inactive';
  stateChangedAt?: number;
  traits: Record<string, unknown>;
  metadataPublic: unknown;
  metadataAdmin: unknown;
  credentials: Partial<Record<Credential['type'], Credential>>;
  verifiableAddresses: VerifiableAddress[];
  recoveryAddresses: RecoveryAddress[];
  createdAt: number;
  updatedAt: number;
}

export interface AuthMethod {
  method: string;
  aal: Aal;
  completedAt: number;
}

export interface Device {
  id: string;
  ipAddress: string | null;
  userAgent: string | null;
  location: string | null;
}

export interface SessionRecord {
  id: string;
  token: string;
  logoutToken: string;
  identityId: string;
  active: boolean;
  expiresAt: number;
  authenticatedAt: number;
  issuedAt: number;
  methods: AuthMethod[];
  devices: Device[];
}

export type FlowKind = 'login' | 'registration' | 'settings' | 'recovery' | 'verification';

export interface FlowRecord {
  id: string;
  kind: FlowKind;
  type: 'browser' | 'api';
  expiresAt: number;
  issuedAt: number;
  requestUrl: string;
  returnTo?: string;
  state: string;
  active?: string;
  ui: UiContainer;
  /** Masked CSRF token issued with the flow (never rendered except as the csrf_token node). */
  csrfToken: string;
  transientPayload?: Record<string, unknown>;
  continueWith?: Record<string, unknown>[];
  // login
  refresh?: boolean;
  requestedAal?: Aal;
  createdAt?: number;
  updatedAt?: number;
  // settings
  identityId?: string;
  // registration two-step: traits accepted in step one
  pendingTraits?: Record<string, unknown>;
  // recovery / verification
  code?: { value: string; address: string; identityId?: string; expiresAt: number; attempts: number };
  submissions?: number;
  /** Flows created through the admin API skip the CSRF check (Kratos' DangerousSkipCSRFCheck). */
  skipCsrf?: boolean;
  // settings: update waiting for a refreshed session
  pendingPayload?: Record<string, unknown>;
  // settings: TOTP secret offered, lookup codes offered
  totpSecret?: string;
  totpQr?: string;
  lookupCodes?: string[];
}

export interface ErrorContainer {
  id: string;
  error: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  seen: boolean;
}

export interface CourierMessage {
  id: string;
  status: 'queued' | 'sent' | 'processing' | 'abandoned';
  type: 'email' | 'sms';
  recipient: string;
  body: string;
  subject: string;
  templateType: string;
  sendCount: number;
  createdAt: number;
  updatedAt: number;
  /** The 6-digit code carried by the message, when it carries one. */
  code?: string;
}
