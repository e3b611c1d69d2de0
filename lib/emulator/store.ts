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

  /** Replaces the identifier index entries of an identity with its current credentials. */
  indexIdentity(identity: IdentityRecord): void {
    this.unindexIdentity(identity.id);
    for (const cred of Object.values(identity.credentials)) {
      for (const ident of cred?.identifiers ?? []) this.identifiers.set(`${cred!.type}:${ident}`, identity.id);
    }
  }

  private unindexIdentity(identityId: string): void {
    const existing = this.identities.get(identityId);
    if (!existing) return;
    for (const cred of Object.values(existing.credentials)) {
      for (const ident of cred?.identifiers ?? []) {
        const key = `${cred!.type}:${ident}`;
        if (this.identifiers.get(key) === identityId) this.identifiers.delete(key);
      }
    }
  }

  putIdentity(identity: IdentityRecord): void {
    this.unindexIdentity(identity.id);
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
