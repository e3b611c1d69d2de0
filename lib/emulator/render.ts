import type { FlowRecord, IdentityRecord, SessionRecord } from './model';
import { isoTime } from './util';

export const schemaUrl = (baseUrl: string, schemaId: string): string => `${baseUrl}schemas/${Buffer.from(schemaId).toString('base64url')}`;

/** Identity JSON; the admin rendering adds `credentials` (without config) and `metadata_admin`. */
export function renderIdentity(identity: IdentityRecord, baseUrl: string, admin = false, includeConfig = false): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: identity.id,
    schema_id: identity.schemaId,
    schema_url: schemaUrl(baseUrl, identity.schemaId),
    state: identity.state,
  };
  if (identity.stateChangedAt !== undefined) out.state_changed_at = isoTime(identity.stateChangedAt);
  out.traits = identity.traits;
  if (identity.verifiableAddresses.length > 0) {
    out.verifiable_addresses = identity.verifiableAddresses.map((a) => ({
      id: a.id,
      value: a.value,
      verified: a.verified,
      via: a.via,
      status: a.status,
      ...(a.verifiedAt !== undefined ? { verified_at: isoTime(a.verifiedAt) } : {}),
      created_at: isoTime(a.createdAt),
      updated_at: isoTime(a.updatedAt),
    }));
  }
  if (identity.recoveryAddresses.length > 0) {
    out.recovery_addresses = identity.recoveryAddresses.map((a) => ({ id: a.id, value: a.value, via: a.via, created_at: isoTime(a.createdAt), updated_at: isoTime(a.updatedAt) }));
  }
  if (admin) {
    const creds: Record<string, unknown> = {};
    for (const c of Object.values(identity.credentials)) {
      if (!c) continue;
      creds[c.type] = {
        type: c.type,
        identifiers: c.identifiers,
        ...(includeConfig ? { config: c.config } : {}),
        version: c.version,
        created_at: isoTime(c.createdAt),
        updated_at: isoTime(c.updatedAt),
      };
    }
    out.credentials = creds;
  }
  out.metadata_public = identity.metadataPublic ?? null;
  if (admin) out.metadata_admin = identity.metadataAdmin ?? null;
  out.created_at = isoTime(identity.createdAt);
  out.updated_at = isoTime(identity.updatedAt);
  out.organization_id = null;
  return out;
}

export const sessionAal = (s: SessionRecord): 'aal1' | 'aal2' => (s.methods.some((m) => m.aal === 'aal2') ? 'aal2' : 'aal1');

export function isSessionActive(s: SessionRecord, identity: IdentityRecord | undefined, now: number): boolean {
  return s.active && s.expiresAt > now && identity !== undefined && identity.state === 'active';
}

export function renderSession(s: SessionRecord, identity: IdentityRecord | undefined, baseUrl: string, now: number, admin = false): Record<string, unknown> {
  return {
    id: s.id,
    active: isSessionActive(s, identity, now),
    expires_at: isoTime(s.expiresAt),
    authenticated_at: isoTime(s.authenticatedAt),
    authenticator_assurance_level: sessionAal(s),
    authentication_methods: s.methods.map((m) => ({ method: m.method, aal: m.aal, completed_at: isoTime(m.completedAt) })),
    issued_at: isoTime(s.issuedAt),
    identity: identity ? renderIdentity(identity, baseUrl, admin) : null,
    devices: s.devices.map((d) => ({ id: d.id, ip_address: d.ipAddress, user_agent: d.userAgent, location: d.location })),
  };
}

/** Flow JSON as Kratos emits it for each flow kind (§4.3). */
export function renderFlow(flow: FlowRecord, extra: { identity?: Record<string, unknown> } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { id: flow.id, type: flow.type, expires_at: isoTime(flow.expiresAt), issued_at: isoTime(flow.issuedAt), request_url: flow.requestUrl };
  if (flow.returnTo) out.return_to = flow.returnTo;
  if (flow.active) out.active = flow.active;
  const ui: Record<string, unknown> = { action: flow.ui.action, method: flow.ui.method, nodes: flow.ui.nodes };
  if (flow.ui.messages && flow.ui.messages.length > 0) ui.messages = flow.ui.messages;
  out.ui = ui;
  if (flow.kind === 'login' || flow.kind === 'registration') out.organization_id = null;
  if (flow.kind === 'login') {
    out.created_at = isoTime(flow.createdAt ?? flow.issuedAt);
    out.updated_at = isoTime(flow.updatedAt ?? flow.issuedAt);
    out.refresh = flow.refresh ?? false;
    out.requested_aal = flow.requestedAal ?? 'aal1';
  }
  if (flow.kind === 'settings' && extra.identity) out.identity = extra.identity;
  if ((flow.kind === 'settings' || flow.kind === 'recovery') && flow.continueWith && flow.continueWith.length > 0) out.continue_with = flow.continueWith;
  if (flow.transientPayload && Object.keys(flow.transientPayload).length > 0) out.transient_payload = flow.transientPayload;
  out.state = flow.state;
  return out;
}
