import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startExampleApp, type ExampleApp } from '../../example-app';

// Debian's Chromium (apt-get install chromium); no browser is ever downloaded.
const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const SCREENSHOTS = join(__dirname, 'screenshots');

describe('a person using the example app in Chromium', () => {
  let app: ExampleApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const email = `ada-${Date.now()}@example.com`;
  let password = 'correct-horse-battery-9';
  const pageErrors: string[] = [];

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  async function signIn(withPassword: string): Promise<void> {
    await page.goto(`${app.url}/login`);
    await page.fill('form[data-group="password"] input[name="identifier"]', email);
    await page.fill('form[data-group="password"] input[name="password"]', withPassword);
    await Promise.all([page.waitForURL(`${app.url}/dashboard`), page.click('form[data-group="password"] button[name="method"][value="password"]')]);
  }

  async function signOut(): Promise<void> {
    await Promise.all([page.waitForURL(`${app.url}/`), page.click('header [data-testid="logout"]')]);
    await page.waitForSelector('[data-testid="signed-out"]');
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    app = await startExampleApp({ port: 0, env: {} });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    context = await browser.newContext();
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      // A 4xx page is expected in some journeys; script errors and CSP refusals are not.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  afterEach(() => {
    // CSP violations and script errors show up here: the pages must work under helmet's defaults.
    expect(pageErrors).toEqual([]);
  });

  it('registers and lands on the dashboard', async () => {
    await page.goto(`${app.url}/`);
    await page.click('text=Create an account');
    await page.waitForURL(/\/registration\?flow=/);
    await page.fill('input[name="traits.email"]', email);
    await page.fill('input[name="traits.name.first"]', 'Ada');
    await page.fill('input[name="traits.name.last"]', 'Lovelace');
    const twoStep = await page.locator('button[name="method"][value="profile"]').count();
    if (twoStep > 0) {
      await page.click('button[name="method"][value="profile"]');
      await page.waitForSelector('input[name="password"]');
    }
    await page.fill('input[name="password"]', password);
    await shot('01-registration');
    await Promise.all([page.waitForURL(`${app.url}/dashboard`), page.click('button[name="method"][value="password"]')]);
    expect(await page.textContent('[data-testid="email"]')).toBe(email);
    expect(await page.textContent('[data-testid="greeting"]')).toContain('Ada Lovelace');
    expect(await page.textContent('[data-testid="aal"]')).toBe('aal1');
    await shot('02-dashboard');
  });

  it('signs out and signs in again', async () => {
    await signOut();
    await page.goto(`${app.url}/dashboard`);
    await page.waitForURL(/\/login\?flow=/);
    await page.fill('input[name="identifier"]', email);
    await page.fill('input[name="password"]', password);
    await shot('03-login');
    await Promise.all([page.waitForURL(`${app.url}/dashboard`), page.click('button[name="method"][value="password"]')]);
    expect(await page.textContent('[data-testid="email"]')).toBe(email);
  });

  it('changes the password in settings, then signs in with the new one', async () => {
    await page.goto(`${app.url}/settings`);
    await page.waitForURL(/\/settings\?flow=/);
    password = 'a-brand-new-password-42';
    await page.fill('form[data-group="password"] input[name="password"]', password);
    await Promise.all([page.waitForNavigation(), page.click('form[data-group="password"] button[name="method"][value="password"]')]);
    await page.waitForSelector('.messages .message.success');
    expect(await page.textContent('.messages .message.success')).toContain('Your changes have been saved');
    await shot('04-settings-password');
    await signOut();
    await signIn(password);
    expect(await page.textContent('[data-testid="email"]')).toBe(email);
  });

  it('enrols TOTP, then has to pass the second factor to reach the aal2 page', async () => {
    await page.goto(`${app.url}/settings`);
    await page.waitForURL(/\/settings\?flow=/);
    const secret = (await page.textContent('[data-testid="totp_secret_key"]'))!.trim();
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    expect(await page.locator('form[data-group="totp"] img').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await shot('05-settings-totp');
    const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
    await page.fill('input[name="totp_code"]', totp.generate());
    await Promise.all([page.waitForNavigation(), page.click('form[data-group="totp"] button[name="method"][value="totp"]')]);
    // Enrolling adds the authenticator to this session (aal2, as Kratos does): settings show it linked.
    await page.waitForURL(/\/settings\?flow=/);
    await page.waitForSelector('button[name="totp_unlink"]');
    await page.waitForSelector('.messages .message.success');
    await shot('06-settings-totp-enrolled');

    // A fresh sign-in gives an aal1 session: /secure asks for the authenticator code and comes back.
    await signOut();
    await signIn(password);
    expect(await page.textContent('[data-testid="aal"]')).toBe('aal1');
    await page.goto(`${app.url}/secure`);
    await page.waitForURL(/\/login\?flow=/);
    await page.waitForSelector('input[name="totp_code"]');
    await shot('07-login-aal2');
    await page.fill('input[name="totp_code"]', totp.generate());
    await Promise.all([page.waitForURL(`${app.url}/secure`), page.click('button[name="method"][value="totp"]')]);
    expect(await page.textContent('[data-testid="secure"]')).toContain('aal2');
    await shot('08-secure');
  });

  it('recovers an account with the code from the mail', async () => {
    const owner = `grace-${Date.now()}@example.com`;
    await app.emulator!.createIdentity({ traits: { email: owner, name: { first: 'Grace', last: 'Hopper' } }, password: 'forgotten-password-1', verified: true });
    const fresh = await browser.newContext();
    const other = await fresh.newPage();
    try {
      other.on('pageerror', (err) => pageErrors.push(err.message));
      await other.goto(`${app.url}/login`);
      await other.click('text=Forgot your password?');
      await other.waitForURL(/\/recovery\?flow=/);
      await other.fill('input[name="email"]', owner);
      await Promise.all([other.waitForSelector('input[name="code"]'), other.click('button[name="method"][value="code"]')]);
      const code = app.emulator!.lastCode(owner);
      expect(code).toMatch(/^\d{6}$/);
      await other.fill('input[name="code"]', code!);
      await other.screenshot({ path: join(SCREENSHOTS, '09-recovery-code.png'), fullPage: true });
      await Promise.all([other.waitForURL(/\/settings\?flow=/), other.click('button[type="submit"][name="method"][value="code"]')]);
      await other.fill('form[data-group="password"] input[name="password"]', 'remembered-password-2');
      await Promise.all([other.waitForNavigation(), other.click('form[data-group="password"] button[name="method"][value="password"]')]);
      await other.waitForSelector('.messages .message.success');
      await other.goto(`${app.url}/dashboard`);
      expect(await other.textContent('[data-testid="email"]')).toBe(owner);
      await other.screenshot({ path: join(SCREENSHOTS, '10-recovered-dashboard.png'), fullPage: true });
    } finally {
      await fresh.close();
    }
  });

  it('shows a friendly error page for a broken flow link', async () => {
    const response = await page.goto(`${app.url}/login?flow=not-a-flow`);
    expect(response!.status()).toBe(400);
    expect(await page.textContent('h1')).toBeTruthy();
    expect(await page.textContent('main')).toContain('is not a flow id');
    expect(await page.locator('a[href="/"]').count()).toBeGreaterThan(0);
    await shot('11-broken-flow-link');
  });
});
