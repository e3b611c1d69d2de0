import type { CourierMessage, ErrorContainer, FlowRecord, IdentityRecord, SessionRecord } from './model';

/** All emulator state, in memory, with O(1) indexes for the lookups every request makes. */
export class Store {
  readonly identities = new Map<string, IdentityRecord>();
  /** `<credential type>:<identifier>` -> identity id */
  readonly identifiers = new Map<string, string>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly sessionsByToken = new Map<string, string>();
  readonly sessionsByLogoutToken = new Map<string, string>();
  readonly sessionsByIdentity = new Map<string, Set<string>>();
  readonly flows = new Map<string, FlowRecord>();
  readonly errors = new Map<string, ErrorContainer>();
  readonly messages: CourierMessage[] = [];

  findByIdentifier(type: string, identifier: string): IdentityRecord | undefined {
    const id = this.identifiers.get(`${type}:${identifier.trim().toLowerCase()}`);
    return id ? this.identities.get(id) : undefined;
  }

  private readonly indexed = new Map<string, string[]>();

  private keysOf(identity: IdentityRecord): string[] {
    const keys: string[] = [];
    for (const cred of Object.values(identity.credentials)) for (const ident of cred?.identifiers ?? []) keys.push(`${cred!.type}:${ident}`);
    for (const a of identity.verifiableAddresses) keys.push(`verifiable:${a.value}`);
    for (const a of identity.recoveryAddresses) keys.push(`recovery:${a.value}`);
    return keys;
  }

  /** Re-indexes an identity's credential identifiers and addresses (call after changing them). */
  indexIdentity(identity: IdentityRecord): void {
    this.unindexIdentity(identity.id);
    const keys = this.keysOf(identity);
    for (const key of keys) this.identifiers.set(key, identity.id);
    this.indexed.set(identity.id, keys);
  }

  private unindexIdentity(identityId: string): void {
    for (const key of this.indexed.get(identityId) ?? []) if (this.identifiers.get(key) === identityId) this.identifiers.delete(key);
    this.indexed.delete(identityId);
  }

  /** The identity owning a verifiable (`verifiable`) or recovery (`recovery`) address. */
  findByAddress(kind: 'verifiable' | 'recovery', value: string): IdentityRecord | undefined {
    return this.findByIdentifier(kind, value);
  }

  putIdentity(identity: IdentityRecord): void {
    this.identities.set(identity.id, identity);
    this.indexIdentity(identity);
  }

  deleteIdentity(identityId: string): boolean {
    if (!this.identities.has(identityId)) return false;
    this.unindexIdentity(identityId);
    this.identities.delete(identityId);
    for (const sid of [...(this.sessionsByIdentity.get(identityId) ?? [])]) this.deleteSession(sid);
    return true;
  }

  putSession(session: SessionRecord): void {
    this.sessions.set(session.id, session);
    this.sessionsByToken.set(session.token, session.id);
    this.sessionsByLogoutToken.set(session.logoutToken, session.id);
    let set = this.sessionsByIdentity.get(session.identityId);
    if (!set) this.sessionsByIdentity.set(session.identityId, (set = new Set()));
    set.add(session.id);
  }

  sessionByToken(token: string): SessionRecord | undefined {
    const id = this.sessionsByToken.get(token);
    return id ? this.sessions.get(id) : undefined;
  }

  sessionsOf(identityId: string): SessionRecord[] {
    return [...(this.sessionsByIdentity.get(identityId) ?? [])].map((id) => this.sessions.get(id)!).filter(Boolean);
  }

  deleteSession(sessionId: string): boolean {
    const s = this.sessions.get(sessionId);
    if (!s) return false;
    this.sessions.delete(sessionId);
    this.sessionsByToken.delete(s.token);
    this.sessionsByLogoutToken.delete(s.logoutToken);
    this.sessionsByIdentity.get(s.identityId)?.delete(sessionId);
    return true;
  }
}
