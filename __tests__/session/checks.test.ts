import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { anyOf, hasVerifiedAddress, hasVerifiedEmail, metadataEquals, metadataIncludes, traitEquals, traitIncludes, type SessionCheck } from '../../lib/session/checks';
import { requireSession } from '../../lib/session/factories';
import { appWith } from '../helpers/apps';
import { startEmulator, type TestEmulator } from '../helpers/emulator';

let kratos: TestEmulator;
let verifiedAdmin: string;
let unverifiedUser: string;

beforeAll(async () => {
  kratos = await startEmulator();
  const admin = await kratos.createIdentity({
    traits: { email: 'admin@example.com' },
    verified: true,
    metadataPublic: { role: 'admin', groups: ['staff', 'billing'], scopes: 'read write', nested: { level: 3 } },
  });
  verifiedAdmin = (await kratos.createSession(admin.id as string)).cookie;
  const user = await kratos.createIdentity({ traits: { email: 'user@example.com' }, verified: false });
  unverifiedUser = (await kratos.createSession(user.id as string)).cookie;
});
afterAll(async () => {
  await closeSharedContexts();
  await kratos.close();
});

const statusWith = async (check: SessionCheck, cookie: string) =>
  (await request(appWith('Express 5', [requireSession({ publicUrl: kratos.publicUrl, check })])).get('/').set({ Accept: 'application/json', Cookie: cookie })).status;

const cases: Array<[string, SessionCheck, number, number]> = [
  ['hasVerifiedEmail()', hasVerifiedEmail(), 200, 403],
  ["hasVerifiedAddress('email')", hasVerifiedAddress('email'), 200, 403],
  ["hasVerifiedAddress('sms')", hasVerifiedAddress('sms'), 403, 403],
  ["traitEquals('email', 'admin@example.com')", traitEquals('email', 'admin@example.com'), 200, 403],
  ["metadataEquals('role', 'admin')", metadataEquals('role', 'admin'), 200, 403],
  ["metadataEquals('nested.level', 3)", metadataEquals('nested.level', 3), 200, 403],
  ["metadataEquals('nested', { level: 3 })", metadataEquals('nested', { level: 3 }), 200, 403],
  ["metadataEquals('role.length', 5)", metadataEquals('role.length', 5), 403, 403],
  ["metadataIncludes('groups', 'staff', 'billing')", metadataIncludes('groups', 'staff', 'billing'), 200, 403],
  ["metadataIncludes('groups', 'staff', 'root')", metadataIncludes('groups', 'staff', 'root'), 403, 403],
  ["metadataIncludes('scopes', 'write')", metadataIncludes('scopes', 'write'), 200, 403],
  ["traitIncludes('email', 'admin')", traitIncludes('email', 'admin'), 403, 403],
  ['anyOf(role admin, verified email)', anyOf(metadataEquals('role', 'admin'), hasVerifiedEmail()), 200, 403],
  ['a custom check returning a truthy non-boolean', (() => 'yes') as unknown as SessionCheck, 403, 403],
];

it.each(cases)('%s answers %d for a verified admin and %d for an unverified user', async (_name, check, admin, user) => {
  expect(await statusWith(check, verifiedAdmin)).toBe(admin);
  expect(await statusWith(check, unverifiedUser)).toBe(user);
});

it('passes an error thrown by a check to next(err)', async () => {
  const failing: SessionCheck = async () => {
    throw Object.assign(new Error('directory down'), { status: 503 });
  };
  const res = await request(appWith('Express 4', [requireSession({ publicUrl: kratos.publicUrl, check: failing })])).get('/').set({ Accept: 'application/json', Cookie: verifiedAdmin });
  expect(res.status).toBe(503);
  expect(res.body.message).toBe('directory down');
});
