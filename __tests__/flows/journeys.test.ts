import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import * as OTPAuth from 'otpauth';
import { closeSharedContexts } from '../../lib/context';
import { flowRoutes } from '../../lib/flows';
import { getSession, requireSession } from '../../lib/session';
import type { TestEmulator } from '../helpers/emulator';
import { Browser, documentOf, express4, reportError, startPair, type LateServer, type Page } from './helpers';

type Next = (err?: unknown) => void;
const PASSWORD = 'correct-horse-battery-1';
const NEW_PASSWORD = 'another-long-secret-2';

function link(page: Page, selector: string): string {
  const href = documentOf(page).querySelector(selector)?.getAttribute('href');
  if (!href) throw new Error(`no ${selector} on ${page.url}:\n${page.body.slice(0, 3000)}`);
  return new URL(href, page.url).href;
}

describe.each([
  ['Express 5', ''],
  ['Express 4', '/auth'],
] as const)('journeys on %s with the flow routes at "%s"', (framework, mount) => {
  let app: LateServer;
  let kratos: TestEmulator;
  let now = Date.now();
  let n = 0;
  const email = (name: string) => `${name}-${framework.replace(' ', '')}-${++n}@example.com`;
  const at = (path: string) => `${app.url}${mount}${path}`;

  beforeAll(async () => {
    ({ app, kratos } = await startPair(mount, { clock: () => now }));
    const options = { publicUrl: kratos.publicUrl };
    const server = framework === 'Express 5' ? express() : express4();
    if (mount) server.use(mount, flowRoutes({ ...options, appName: 'Acme' }));
    else server.use(flowRoutes({ ...options, appName: 'Acme' }));
    server.get('/dashboard', requireSession(options), (req: IncomingMessage, res: ServerResponse) => {
      const session = getSession(req)!;
      res.setHeader('content-type', 'text/plain');
      res.end(`Hello ${(session.identity?.traits as { email: string }).email} (${session.authenticator_assurance_level})`);
    });
    server.use((err: unknown, req: IncomingMessage, res: ServerResponse, _next: Next) => reportError(err, req, res));
    app.set(server as unknown as (req: IncomingMessage, res: ServerResponse) => void);
  });
  afterAll(async () => {
    await closeSharedContexts();
    await app.close();
    await kratos.close();
  });

  it('registers, verifies the email, reaches the dashboard, changes the password after re-authenticating, signs out and in again', async () => {
    const address = email('journey');
    const browser = new Browser();

    const dashboardFirst = await browser.get(`${app.url}/dashboard`);
    expect(dashboardFirst.url).toMatch(new RegExp(`^${at('/login')}\\?flow=`));

    const registration = await browser.get(link(dashboardFirst, 'a.kratos-link--registration'));
    expect(registration.url).toMatch(new RegExp(`^${at('/registration')}\\?flow=`));
    const second = await browser.submit(registration, { 'traits.email': address }, { name: 'method', value: 'profile' });
    expect(documentOf(second).querySelector('input[name=password]')).not.toBeNull();
    const verification = await browser.submit(second, { password: PASSWORD }, { name: 'method', value: 'password' });
    expect(verification.url).toMatch(new RegExp(`^${at('/verification')}\\?flow=`));

    const code = kratos.lastCode(address);
    expect(code).toMatch(/^\d{6}$/);
    const verified = await browser.submit(verification, { code: code! }, { name: 'method', value: 'code' });
    expect(verified.url).toMatch(new RegExp(`^${at('/verification')}\\?flow=`));
    const dashboard = await browser.get(link(verified, 'a[href$="/dashboard"], .kratos-form a'));
    expect(dashboard.status).toBe(200);
    expect(dashboard.body).toBe(`Hello ${address} (aal1)`);

    now += 20 * 60 * 1000;
    const settings = await browser.get(at('/settings'));
    expect(settings.status).toBe(200);
    const refresh = await browser.submit(settings, { password: NEW_PASSWORD }, { name: 'method', value: 'password' });
    expect(refresh.url).toMatch(new RegExp(`^${at('/login')}\\?flow=`));
    expect(documentOf(refresh).title).toBe('Confirm it is you – Acme');
    const saved = await browser.submit(refresh, { password: PASSWORD }, { name: 'method', value: 'password' });
    expect(saved.url).toMatch(new RegExp(`^${at('/settings')}\\?flow=`));
    expect(saved.body).toContain('Your changes have been saved!');

    const signedOut = await browser.get(link(saved, 'a.kratos-link--logout'));
    expect(signedOut.url).toMatch(new RegExp(`^${at('/login')}\\?flow=`));
    expect((await browser.get(`${app.url}/dashboard`)).url).toMatch(new RegExp(`^${at('/login')}`));

    const login = await browser.get(at('/login?return_to=/dashboard'));
    const old = await browser.submit(login, { identifier: address, password: PASSWORD }, { name: 'method', value: 'password' });
    expect(old.body).toContain('The provided credentials are invalid');
    const back = await browser.submit(old, { identifier: address, password: NEW_PASSWORD }, { name: 'method', value: 'password' });
    expect(back.url).toBe(`${app.url}/dashboard`);
    expect(back.body).toBe(`Hello ${address} (aal1)`);
  });

  it('enrols TOTP in settings, then signs in with the second factor', async () => {
    const address = email('totp');
    const identity = await kratos.createIdentity({ traits: { email: address }, password: PASSWORD, verified: true });
    const browser = new Browser();
    const login = await browser.get(at('/login'));
    await browser.submit(login, { identifier: address, password: PASSWORD }, { name: 'method', value: 'password' });

    const settings = await browser.get(at('/settings'));
    const secret = /[A-Z2-7]{16,}=*/.exec(documentOf(settings).querySelector('[id$="totp_secret_key"]')?.textContent ?? '')?.[0];
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret!) });
    const enrolled = await browser.submit(settings, { totp_code: totp.generate({ timestamp: now }) }, { name: 'method', value: 'totp' });
    expect(enrolled.url).toMatch(new RegExp(`^${at('/settings')}\\?flow=`));
    expect(enrolled.body).toContain('Your changes have been saved!');

    await browser.get(link(enrolled, 'a.kratos-link--logout'));
    const again = await browser.get(at('/login?return_to=/dashboard'));
    const secondFactor = await browser.submit(again, { identifier: address, password: PASSWORD }, { name: 'method', value: 'password' });
    expect(secondFactor.url).toMatch(new RegExp(`^${at('/login')}\\?flow=`));
    expect(documentOf(secondFactor).title).toBe('Two-factor authentication – Acme');
    const done = await browser.submit(secondFactor, { totp_code: kratos.totpCode(identity.id as string) }, { name: 'method', value: 'totp' });
    expect(done.url).toBe(`${app.url}/dashboard`);
    expect(done.body).toBe(`Hello ${address} (aal2)`);
  });

  it('recovers an account with the emailed code and sets a new password', async () => {
    const address = email('recovery');
    await kratos.createIdentity({ traits: { email: address }, password: PASSWORD, verified: true });
    const browser = new Browser();
    const login = await browser.get(at('/login'));
    const recovery = await browser.get(link(login, 'a.kratos-link--recovery'));
    expect(recovery.url).toMatch(new RegExp(`^${at('/recovery')}\\?flow=`));
    const sent = await browser.submit(recovery, { email: address }, { name: 'method', value: 'code' });
    expect(sent.url).toMatch(new RegExp(`^${at('/recovery')}\\?flow=`));
    const code = kratos.lastCode(address);
    expect(code).toMatch(/^\d{6}$/);
    const wrong = await browser.submit(sent, { code: code === '000000' ? '111111' : '000000' }, { name: 'method', value: 'code' });
    expect(wrong.body).toMatch(/recovery code is invalid or has already been used/i);
    const settings = await browser.submit(wrong, { code: code! }, { name: 'method', value: 'code' });
    expect(settings.url).toMatch(new RegExp(`^${at('/settings')}\\?flow=`));
    const saved = await browser.submit(settings, { password: NEW_PASSWORD }, { name: 'method', value: 'password' });
    expect(saved.body).toContain('Your changes have been saved!');

    await browser.get(link(saved, 'a.kratos-link--logout'));
    const fresh = await browser.get(at('/login?return_to=/dashboard'));
    const done = await browser.submit(fresh, { identifier: address, password: NEW_PASSWORD }, { name: 'method', value: 'password' });
    expect(done.body).toBe(`Hello ${address} (aal1)`);
  });

  it('verifies an email address from the verification page', async () => {
    const address = email('verify');
    await kratos.createIdentity({ traits: { email: address }, password: PASSWORD, verified: false });
    const browser = new Browser();
    const verification = await browser.get(at('/verification?return_to=/dashboard'));
    const sent = await browser.submit(verification, { email: address }, { name: 'method', value: 'code' });
    const code = kratos.lastCode(address)!;
    const verified = await browser.submit(sent, { code }, { name: 'method', value: 'code' });
    expect(verified.body).toContain('You successfully verified your email address.');
    const admin = await fetch(`${kratos.adminUrl}/admin/identities?credentials_identifier=${encodeURIComponent(address)}`).then((r) => r.json());
    const identity = (admin as { verifiable_addresses: { verified: boolean }[] }[])[0];
    expect(identity.verifiable_addresses[0].verified).toBe(true);
  });
});
