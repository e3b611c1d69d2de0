import type { Core } from './core';
import type { Ctx } from './ctx';
import { KratosError, notFound } from './errors';
import { createIdentity, newCredential, syncAddresses, type IdentityInput } from './identities';
import type { CourierMessage } from './model';
import { hashPassword } from './password';
import { renderIdentity, renderSession } from './render';
import type { Router } from './router';
import { revokeSession, revokeSessionsOf } from './sessions';
import { getPath, isPlainObject, isoTime, isUuid } from './util';

export function renderMessage(m: CourierMessage): Record<string, unknown> {
  return {
    id: m.id,
    status: m.status,
    type: m.type,
    recipient: m.recipient,
    body: m.body,
    subject: m.subject,
    template_type: m.templateType,
    send_count: m.sendCount,
    created_at: isoTime(m.createdAt),
    updated_at: isoTime(m.updatedAt),
    dispatches: [],
  };
}

function paginate<T>(ctx: Ctx, core: Core, path: string, items: T[]): { items: T[]; headers: Record<string, string> } {
  const sizeRaw = ctx.query.get('page_size') ?? ctx.query.get('per_page');
  const pageSize = Math.min(Math.max(Number(sizeRaw) || 250, 1), 1000);
  const tokenRaw = ctx.query.get('page_token') ?? ctx.query.get('page');
  const page = Math.max(Number(tokenRaw) || 0, 0);
  const slice = items.slice(page * pageSize, (page + 1) * pageSize);
  const base = `${core.adminUrl}${path.replace(/^\//, '')}`;
  const links = [`<${base}?page_size=${pageSize}&page_token=0>; rel="first"`];
  if ((page + 1) * pageSize < items.length) links.push(`<${base}?page_size=${pageSize}&page_token=${page + 1}>; rel="next"`);
  return { items: slice, headers: { Link: links.join(','), 'X-Total-Count': String(items.length) } };
}

function identityInputFromBody(body: Record<string, unknown>): IdentityInput {
  const password = getPath(body, 'credentials.password.config.password');
  const state = body.state;
  if (state !== undefined && state !== 'active' && state !== 'inactive') throw new KratosError(400, { reason: `state ${JSON.stringify(state)} is not one of active, inactive.` });
  const addresses = Array.isArray(body.verifiable_addresses) ? (body.verifiable_addresses as IdentityInput['verifiableAddresses']) : undefined;
  return {
    schemaId: typeof body.schema_id === 'string' && body.schema_id ? body.schema_id : undefined,
    traits: body.traits,
    password: password === undefined ? undefined : (password as string),
    state: state as IdentityInput['state'],
    metadataPublic: body.metadata_public,
    metadataAdmin: body.metadata_admin,
    verifiableAddresses: addresses,
  };
}

export function registerAdminRoutes(router: Router, core: Core): void {
  const render = (id: string, includeConfig = false) => renderIdentity(core.store.identities.get(id)!, core.baseUrl, true, includeConfig);

  router.add(['POST'], '/admin/identities', async (ctx) => {
    const { body } = await ctx.body();
    const identity = await createIdentity(core, identityInputFromBody(body));
    ctx.json(201, render(identity.id), { Location: `${core.adminUrl}admin/identities/${identity.id}` });
  });

  router.add(['GET'], '/admin/identities', (ctx) => {
    let list = [...core.store.identities.values()];
    const ident = ctx.query.get('credentials_identifier');
    if (ident) list = list.filter((i) => Object.values(i.credentials).some((c) => c?.identifiers.includes(ident.trim().toLowerCase())));
    const ids = ctx.query.getAll('ids');
    if (ids.length > 0) list = list.filter((i) => ids.includes(i.id));
    const page = paginate(ctx, core, '/admin/identities', list);
    ctx.json(200, page.items.map((i) => renderIdentity(i, core.baseUrl, true)), page.headers);
  });

  router.add(['GET'], '/admin/identities/{id}', (ctx, { id }) => {
    if (!core.store.identities.has(id)) return ctx.error(notFound());
    ctx.json(200, render(id, ctx.query.getAll('include_credential').length > 0));
  });

  router.add(['PUT'], '/admin/identities/{id}', async (ctx, { id }) => {
    const identity = core.store.identities.get(id);
    if (!identity) return ctx.error(notFound());
    const { body } = await ctx.body();
    if (!isPlainObject(body.traits)) throw new KratosError(400, { reason: 'traits must be a JSON object.' });
    const schemaId = typeof body.schema_id === 'string' && body.schema_id ? body.schema_id : identity.schemaId;
    const schema = core.schemas.get(schemaId);
    if (!schema) throw new KratosError(400, { reason: `Identity schema ${JSON.stringify(schemaId)} does not exist.` });
    const errors = schema.validate(body.traits);
    if (errors.length > 0) throw new KratosError(400, { reason: errors.map((e) => `${e.name ?? 'traits'}: ${e.message.text}`).join('; ') });
    const now = core.now();
    identity.schemaId = schemaId;
    identity.traits = structuredClone(body.traits);
    if (body.state === 'active' || body.state === 'inactive') {
      if (body.state !== identity.state) identity.stateChangedAt = now;
      identity.state = body.state;
    }
    if ('metadata_public' in body) identity.metadataPublic = body.metadata_public ?? null;
    if ('metadata_admin' in body) identity.metadataAdmin = body.metadata_admin ?? null;
    syncAddresses(core, identity, schema);
    const password = getPath(body, 'credentials.password.config.password');
    if (typeof password === 'string' && password) {
      identity.credentials.password = newCredential(core, 'password', schema.identifiers(identity.traits), { hashed_password: await hashPassword(password) });
    }
    identity.updatedAt = now;
    core.store.putIdentity(identity);
    ctx.json(200, render(id));
  });

  router.add(['DELETE'], '/admin/identities/{id}', (ctx, { id }) => {
    if (!core.store.deleteIdentity(id)) return ctx.error(notFound());
    ctx.noContent();
  });

  router.add(['GET'], '/admin/identities/{id}/sessions', (ctx, { id }) => {
    if (!core.store.identities.has(id)) return ctx.error(notFound());
    let list = core.store.sessionsOf(id);
    const active = ctx.query.get('active');
    if (active === 'true' || active === 'false') list = list.filter((s) => core.isActive(s) === (active === 'true'));
    const page = paginate(ctx, core, `/admin/identities/${id}/sessions`, list);
    ctx.json(200, page.items.map((s) => renderSession(s, core.identityOf(s), core.baseUrl, core.now(), true)), page.headers);
  });

  router.add(['DELETE'], '/admin/identities/{id}/sessions', (ctx, { id }) => {
    if (!core.store.identities.has(id)) return ctx.error(notFound());
    revokeSessionsOf(core, id);
    ctx.noContent();
  });

  router.add(['GET'], '/admin/sessions', (ctx) => {
    let list = [...core.store.sessions.values()];
    const active = ctx.query.get('active');
    if (active === 'true' || active === 'false') list = list.filter((s) => core.isActive(s) === (active === 'true'));
    const page = paginate(ctx, core, '/admin/sessions', list);
    ctx.json(200, page.items.map((s) => renderSession(s, core.identityOf(s), core.baseUrl, core.now(), true)), page.headers);
  });

  router.add(['GET'], '/admin/sessions/{id}', (ctx, { id }) => {
    const s = isUuid(id) ? core.store.sessions.get(id) : undefined;
    if (!s) return ctx.error(notFound());
    ctx.json(200, renderSession(s, core.identityOf(s), core.baseUrl, core.now(), true));
  });

  router.add(['DELETE'], '/admin/sessions/{id}', (ctx, { id }) => {
    if (!revokeSession(core, id)) return ctx.error(notFound());
    ctx.noContent();
  });

  router.add(['GET'], '/admin/courier/messages', (ctx) => {
    const recipient = ctx.query.get('recipient');
    const status = ctx.query.get('status');
    const list = core.store.messages.filter((m) => (!recipient || m.recipient === recipient) && (!status || m.status === status)).reverse();
    const page = paginate(ctx, core, '/admin/courier/messages', list);
    ctx.json(200, page.items.map(renderMessage), page.headers);
  });

  router.add(['GET'], '/admin/courier/messages/{id}', (ctx, { id }) => {
    const m = core.store.messages.find((x) => x.id === id);
    if (!m) return ctx.error(notFound());
    ctx.json(200, renderMessage(m));
  });
}
