import type { UiText } from '@ory/kratos-client-fetch';
import { clientScriptPath, createRenderer, defaultStylesheet, pageTitle, renderPage } from '../../lib/render';
import type { FlowViewData } from '../../lib/render';
import { flowUi, inlineHandlers, inlineScripts, inputNode, label, node, parse, viewData } from './helpers';

const csrf = inputNode('csrf_token', 'hidden', { value: 'tok', required: true });
const identifier = inputNode('identifier', 'text', { value: '', required: true }, 'default', label('E-Mail'));
const password = inputNode('password', 'password', { required: true, autocomplete: 'current-password' }, 'password', label('Password', 1070001));
const passwordSubmit = inputNode('method', 'submit', { value: 'password' }, 'password', label('Sign in with password', 1010022));
const google = inputNode('provider', 'submit', { value: 'google' }, 'oidc', label('Sign in with google', 1010002));
const webauthnScript = node('script', 'webauthn', { src: 'http://127.0.0.1:4433/.well-known/ory/webauthn.js', async: true, id: 'webauthn_script', integrity: '', crossorigin: 'anonymous', referrerpolicy: 'no-referrer', type: 'text/javascript', nonce: '' });
const webauthnTrigger = inputNode('webauthn_login_trigger', 'button', { value: '', onclickTrigger: 'oryWebAuthnLogin' }, 'webauthn', label('Sign in with hardware key', 1010008));

function loginPage(extra: Partial<FlowViewData> = {}, nodes = [csrf, identifier, password, passwordSubmit], messages: UiText[] = []): FlowViewData {
  return viewData('login', flowUi('login', nodes, messages), extra);
}

describe('renderPage: document', () => {
  it('renders a complete HTML document with lang, title and one h1', () => {
    const html = renderPage(loginPage());
    expect(html.startsWith('<!DOCTYPE html><html lang="en">')).toBe(true);
    const doc = parse(html);
    expect(doc.title).toBe('Sign in');
    expect(doc.querySelectorAll('h1')).toHaveLength(1);
    expect(doc.querySelector('h1')!.textContent).toBe('Sign in');
    expect(doc.querySelector('meta[name="viewport"]')).not.toBeNull();
  });

  it('uses the title from the view data, and shows appName in the header and the title', () => {
    const doc = parse(renderPage(loginPage({ title: 'Welcome back' }), { appName: 'Acme', lang: 'de-CH' }));
    expect(doc.title).toBe('Welcome back – Acme');
    expect(doc.querySelector('header')!.textContent).toBe('Acme');
    expect(doc.documentElement.getAttribute('lang')).toBe('de-CH');
  });

  it('titles login pages by their purpose', () => {
    expect(pageTitle('login')).toBe('Sign in');
    expect(pageTitle('login', { refresh: true } as never)).toBe('Confirm it is you');
    expect(pageTitle('login', { requested_aal: 'aal2' } as never)).toBe('Two-factor authentication');
    expect(pageTitle('registration')).toBe('Create an account');
    expect(pageTitle('recovery', undefined, { recoveryTitle: 'Passwort vergessen' })).toBe('Passwort vergessen');
  });

  it('renders the forms from the flow when the view data carries none', () => {
    const data = loginPage();
    const doc = parse(renderPage({ ...data, forms: undefined, scripts: undefined, messages: undefined } as unknown as FlowViewData));
    expect(doc.querySelectorAll('form')).toHaveLength(1);
  });
});

describe('renderPage: styles, scripts and the CSP nonce', () => {
  it('inlines the built-in stylesheet without a nonce when none is configured', () => {
    const style = parse(renderPage(loginPage())).querySelector('style')!;
    expect(style.textContent).toBe(defaultStylesheet);
    expect(style.hasAttribute('nonce')).toBe(false);
  });

  it('puts the nonce on the style, on Kratos script nodes and on the client script', () => {
    const doc = parse(renderPage(loginPage({}, [csrf, identifier, webauthnScript, webauthnTrigger]), { nonce: 'cmFuZG9tLW5vbmNl' }));
    const elements = Array.from(doc.querySelectorAll('style, script'));
    expect(elements.length).toBe(3);
    for (const element of elements) expect(element.getAttribute('nonce')).toBe('cmFuZG9tLW5vbmNl');
  });

  it('takes the nonce from the view data when the options have none', () => {
    expect(parse(renderPage(loginPage({ nonce: 'abc123' }))).querySelector('style')!.getAttribute('nonce')).toBe('abc123');
  });

  it('rejects a nonce that could break out of its attribute', () => {
    expect(() => renderPage(loginPage({ nonce: '"><script>' }))).toThrow(expect.objectContaining({ code: 'KRATOS_EXPRESS_INVALID_RENDER_OPTIONS', message: expect.stringContaining('data.nonce') }));
  });

  it('links the app stylesheet after the built-in one', () => {
    const doc = parse(renderPage(loginPage(), { stylesheet: '/assets/app.css' }));
    const head = Array.from(doc.head.children).map((element) => element.tagName);
    expect(head.slice(-2)).toEqual(['STYLE', 'LINK']);
    expect(doc.querySelector('link[rel="stylesheet"]')!.getAttribute('href')).toBe('/assets/app.css');
  });

  it('uses only the app stylesheet with builtinStylesheet: false, and no CSS with stylesheet: false', () => {
    const own = parse(renderPage(loginPage(), { stylesheet: '/app.css', builtinStylesheet: false }));
    expect(own.querySelector('style')).toBeNull();
    expect(own.querySelector('link[rel="stylesheet"]')).not.toBeNull();
    const none = parse(renderPage(loginPage(), { stylesheet: false }));
    expect(none.querySelector('style, link[rel="stylesheet"]')).toBeNull();
  });

  it('includes the client script only when a node has a trigger, deferred, at clientScriptUrl', () => {
    expect(parse(renderPage(loginPage())).querySelector('script')).toBeNull();
    const defaults = parse(renderPage(loginPage({}, [csrf, webauthnScript, webauthnTrigger])));
    expect(defaults.querySelector(`script[src="${clientScriptPath}"]`)!.hasAttribute('defer')).toBe(true);
    const custom = parse(renderPage(loginPage({}, [csrf, webauthnTrigger]), { clientScriptUrl: '/auth/kratos-express.js' }));
    expect(custom.querySelector('script[src="/auth/kratos-express.js"]')).not.toBeNull();
  });

  it('renders Kratos script nodes once, outside the forms', () => {
    const doc = parse(renderPage(loginPage({}, [csrf, identifier, webauthnScript, webauthnTrigger, password, passwordSubmit])));
    const scripts = doc.querySelectorAll('script#webauthn_script');
    expect(scripts).toHaveLength(1);
    expect(scripts[0].closest('form')).toBeNull();
    expect(inlineScripts(doc)).toBe(0);
    expect(inlineHandlers(doc)).toEqual([]);
  });
});

describe('renderPage: forms and headings', () => {
  it('heads each method form when there are several, with ids unique in the page', () => {
    const doc = parse(renderPage(loginPage({}, [csrf, identifier, password, passwordSubmit, google])));
    const sections = Array.from(doc.querySelectorAll('section.kratos-method'));
    expect(sections.map((section) => section.querySelector('h2')!.textContent)).toEqual(['Password', 'Social sign in']);
    for (const section of sections) {
      expect(doc.getElementById(section.getAttribute('aria-labelledby')!)).toBe(section.querySelector('h2'));
    }
    const ids = Array.from(doc.querySelectorAll('[id]')).map((element) => element.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.querySelectorAll('input[name="identifier"]')).toHaveLength(2);
    for (const labelElement of Array.from(doc.querySelectorAll('label'))) {
      expect(doc.getElementById(labelElement.getAttribute('for')!)).not.toBeNull();
    }
  });

  it('shows no group heading on a page with a single form, except settings', () => {
    expect(parse(renderPage(loginPage())).querySelector('h2')).toBeNull();
    const settings = viewData('settings', flowUi('settings', [csrf, password, passwordSubmit]));
    expect(parse(renderPage(settings)).querySelector('h2')!.textContent).toBe('Password');
  });

  it('heads the second-factor groups with their method names', () => {
    const totp = inputNode('totp_code', 'text', {}, 'totp', label('Authentication code', 1010006));
    const lookup = inputNode('lookup_secret', 'text', {}, 'lookup_secret', label('Backup recovery code', 1010007));
    const doc = parse(renderPage(loginPage({}, [csrf, totp, lookup])));
    expect(Array.from(doc.querySelectorAll('h2')).map((h) => h.textContent)).toEqual(['Authenticator app', 'Backup codes']);
  });
});

describe('renderPage: flow messages', () => {
  const errorMessage: UiText = { id: 4000006, text: 'The provided credentials are invalid.', type: 'error' };
  const infoMessage: UiText = { id: 1010004, text: 'Please complete the second authentication challenge.', type: 'info' };
  const successMessage: UiText = { id: 1050001, text: 'Your changes have been saved!', type: 'success' };

  it('puts errors in a role=alert region and info/success in a role=status region, classed by type', () => {
    const doc = parse(renderPage(loginPage({}, undefined, [errorMessage, infoMessage, successMessage])));
    const alert = doc.querySelector('[role="alert"]')!;
    const status = doc.querySelector('[role="status"]')!;
    expect(alert.textContent).toBe(errorMessage.text);
    expect(alert.querySelector('.kratos-message--error')).not.toBeNull();
    expect(Array.from(status.querySelectorAll('.kratos-message')).map((p) => p.className)).toEqual([
      'kratos-message kratos-message--info',
      'kratos-message kratos-message--success',
    ]);
  });

  it('renders no message region when there are no messages', () => {
    expect(parse(renderPage(loginPage())).querySelector('[role="alert"], [role="status"]')).toBeNull();
  });

  it('translates flow messages by id', () => {
    const doc = parse(renderPage(loginPage({}, undefined, [errorMessage]), { messages: (t) => (t.id === 4000006 ? 'Ungültig' : t.text) }));
    expect(doc.querySelector('[role="alert"]')!.textContent).toBe('Ungültig');
  });
});

describe('renderPage: links between flows', () => {
  const urls = {
    home: '/',
    login: '/auth/login',
    registration: '/auth/registration',
    recovery: '/auth/recovery',
    verification: '/auth/verification',
    settings: '/auth/settings',
    logout: 'http://127.0.0.1:4433/self-service/logout?token=abc',
  };
  function links(kind: FlowViewData['kind'], pageUrls: FlowViewData['urls'] = urls): [string, string | null][] {
    const doc = parse(renderPage(viewData(kind, flowUi(kind, [csrf]), { urls: pageUrls })));
    return Array.from(doc.querySelectorAll('nav a')).map((a) => [a.textContent!, a.getAttribute('href')]);
  }

  it('links the login page to registration and recovery (and logout when there is a session)', () => {
    expect(links('login')).toEqual([
      ['Create an account', '/auth/registration'],
      ['Forgot your password?', '/auth/recovery'],
      ['Sign out', urls.logout],
    ]);
  });

  it('offers only sign out on a second-factor or re-authentication login', () => {
    for (const flow of [{ requested_aal: 'aal2' }, { refresh: true }]) {
      const data = viewData('login', flowUi('login', [csrf]), { urls });
      const doc = parse(renderPage({ ...data, flow: { ...data.flow, ...flow } as FlowViewData['flow'] }));
      expect(Array.from(doc.querySelectorAll('nav a')).map((a) => a.textContent)).toEqual(['Sign out']);
    }
  });

  it('links registration to sign in, recovery and verification back to sign in', () => {
    expect(links('registration')).toEqual([['Sign in', '/auth/login']]);
    expect(links('recovery')).toEqual([['Back to sign in', '/auth/login']]);
    expect(links('verification')).toEqual([['Back to sign in', '/auth/login']]);
  });

  it('links settings back home and to logout', () => {
    expect(links('settings')).toEqual([
      ['Back to the app', '/'],
      ['Sign out', urls.logout],
    ]);
  });

  it('renders only the links whose URL is present and safe', () => {
    expect(links('login', { home: '/', recovery: '/auth/recovery' })).toEqual([['Forgot your password?', '/auth/recovery']]);
    expect(links('login', { home: '/', registration: 'javascript:alert(1)' })).toEqual([]);
    expect(parse(renderPage(viewData('registration', flowUi('registration', [csrf]), { urls: { home: '/' } }))).querySelector('nav')).toBeNull();
  });

  it('lets the app rename the links', () => {
    const doc = parse(renderPage(viewData('registration', flowUi('registration', [csrf]), { urls }), { labels: { signIn: 'Anmelden' } }));
    expect(doc.querySelector('nav a')!.textContent).toBe('Anmelden');
  });
});

describe('renderPage: the error page', () => {
  const data: FlowViewData = {
    kind: 'error',
    title: '',
    nodesByGroup: {},
    forms: [],
    scripts: [],
    messages: [],
    urls: { home: '/', login: '/auth/login' },
    status: 403,
    error: {
      id: '9f3a6f0e-7b1c-4b55-8f23-6a2d1b0c9e44',
      error: {
        id: 'security_csrf_violation',
        code: 403,
        status: 'Forbidden',
        reason: 'Please retry the flow and optionally clear your cookies.',
        message: 'the request was rejected to protect you from Cross-Site-Request-Forgery',
      },
    },
  };

  it('shows the status, the message, the reason and links back', () => {
    const doc = parse(renderPage(data));
    expect(doc.querySelector('h1')!.textContent).toBe('Something went wrong');
    expect(doc.querySelector('.kratos-error-status')!.textContent).toBe('Error 403 · Forbidden');
    expect(doc.querySelector('.kratos-error-message')!.textContent).toBe('the request was rejected to protect you from Cross-Site-Request-Forgery');
    expect(doc.querySelector('.kratos-error-reason')!.textContent).toBe('Please retry the flow and optionally clear your cookies.');
    expect(Array.from(doc.querySelectorAll('nav a')).map((a) => a.getAttribute('href'))).toEqual(['/', '/auth/login']);
    expect(doc.querySelector('form')).toBeNull();
  });

  it('renders without an error container', () => {
    const doc = parse(renderPage({ ...data, error: undefined, status: 500 }));
    expect(doc.querySelector('.kratos-error-status')!.textContent).toBe('Error 500');
  });
});

describe('createRenderer', () => {
  it('validates the options once, at creation', () => {
    expect(() => createRenderer({ lang: 'not a tag' })).toThrow(/lang: "not a tag"/);
  });

  it('returns a named renderer that takes a per-request nonce', () => {
    const render = createRenderer({ appName: 'Acme', nonce: 'c3RhdGlj' });
    expect(render.name).toBe('renderKratosPage');
    expect(parse(render(loginPage())).querySelector('style')!.getAttribute('nonce')).toBe('c3RhdGlj');
    expect(parse(render(loginPage(), 'cGVyLXJlcXVlc3Q=')).querySelector('style')!.getAttribute('nonce')).toBe('cGVyLXJlcXVlc3Q=');
  });
});
