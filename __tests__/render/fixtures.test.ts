import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UiNode } from '@ory/kratos-client-fetch';
import { renderPage } from '../../lib/render';
import type { FlowType } from '../../lib/render';
import { FIXTURE_DIR, fixtureFiles, flowUi, inlineHandlers, inlineScripts, loadFixture, node, parse, viewData } from './helpers';

const QR = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const SECRET = 'JBSWY3DPEHPK3PXP';

const EXPECTED_FORMS: Record<string, string[]> = {
  'login-code-mfa.json': ['code', 'totp'],
  'login-lookup-aal2.json': ['lookup_secret'],
  'login-oidc.json': ['oidc'],
  'login-password-refresh.json': ['password'],
  'login-password.json': ['password'],
  'login-totp-aal2.json': ['totp'],
  'recovery-code-sent.json': ['code'],
  'recovery-code.json': ['code'],
  'registration-password.json': ['password'],
  'settings-lookup.json': ['lookup_secret'],
  'settings-profile-init.json': ['profile', 'password'],
  'settings-profile.json': ['profile', 'password'],
  'settings-totp-setup.json': ['totp'],
  'verification-code-sent.json': ['code'],
  'verification-code.json': ['code'],
};

/** Gives the nodes the values a live flow has and Kratos' snapshots strip (csrf token, QR code, secret). */
function hydrate(nodes: UiNode[], file: string): UiNode[] {
  return nodes.map((original) => {
    const copy = JSON.parse(JSON.stringify(original));
    if (copy.attributes.name === 'csrf_token') copy.attributes.value = `csrf-${file}`;
    if (copy.type === 'img' && !copy.attributes.src) copy.attributes.src = QR;
    if (copy.type === 'text' && copy.attributes.id === 'totp_secret_key') {
      copy.attributes.text = { ...copy.attributes.text, text: SECRET, context: { secret: SECRET } };
    }
    return copy;
  });
}

function controls(form: Element): Element[] {
  return Array.from(form.querySelectorAll('input, button, select, textarea'));
}

function expectControl(element: Element, input: UiNode): void {
  const attributes = input.attributes as unknown as Record<string, unknown>;
  const type = String(attributes.type);
  expect(element.getAttribute('name')).toBe(attributes.name);
  if (type === 'submit' || type === 'button') {
    expect(element.tagName).toBe('BUTTON');
    expect(element.getAttribute('type')).toBe(type);
    expect(element.getAttribute('value')).toBe(attributes.value === undefined ? null : String(attributes.value));
    return;
  }
  expect(element.tagName).toBe('INPUT');
  expect(element.getAttribute('type')).toBe(type);
  if (type === 'checkbox') {
    expect(element.getAttribute('value')).toBe('true');
    expect(element.hasAttribute('checked')).toBe(attributes.value === true || attributes.value === 'true');
  } else {
    expect(element.getAttribute('value')).toBe(attributes.value === undefined ? null : String(attributes.value));
  }
  if (type !== 'hidden') expect(element.hasAttribute('required')).toBe(attributes.required === true);
}

describe('rendering the Kratos fixtures', () => {
  it('ships every fixture listed in MANIFEST.tsv', () => {
    const manifest = readFileSync(join(FIXTURE_DIR, 'MANIFEST.tsv'), 'utf8')
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((line) => line.split('\t')[0])
      .sort();
    expect(fixtureFiles()).toEqual(manifest);
    expect(Object.keys(EXPECTED_FORMS).sort()).toEqual(manifest);
  });

  describe.each(fixtureFiles())('%s', (file) => {
    const kind = file.split('-')[0] as FlowType;
    const { nodes: raw, messages } = loadFixture(file);
    const nodes = hydrate(raw, file);
    const ui = flowUi(kind, nodes, messages);
    const html = renderPage(viewData(kind, ui));
    const doc = parse(html);
    const forms = Array.from(doc.querySelectorAll('form'));

    it('renders one form per method group, each posting to ui.action with ui.method', () => {
      expect(forms.map((form) => form.closest('section')?.className.replace(/.*kratos-method--/, ''))).toEqual(EXPECTED_FORMS[file]);
      for (const form of forms) {
        expect(form.getAttribute('action')).toBe(ui.action);
        expect(form.getAttribute('method')).toBe(ui.method);
      }
    });

    it('posts every input node of each form, in Kratos order, with its name, type and value', () => {
      EXPECTED_FORMS[file].forEach((group, index) => {
        const expected = nodes.filter((n) => n.type === 'input' && (n.group === 'default' || n.group === group));
        const actual = controls(forms[index]);
        expect(actual).toHaveLength(expected.length);
        expected.forEach((input, position) => expectControl(actual[position], input));
      });
    });

    it('puts every default-group node, the csrf token with its value included, in every form', () => {
      const defaults = nodes.filter((n) => n.group === 'default' && n.type === 'input');
      for (const form of forms) {
        for (const input of defaults) {
          const name = (input.attributes as { name: string }).name;
          expect(form.querySelector(`[name="${name}"]`)).not.toBeNull();
        }
        const csrf = defaults.find((n) => (n.attributes as { name: string }).name === 'csrf_token');
        if (csrf) expect(form.querySelector('input[name="csrf_token"]')?.getAttribute('value')).toBe(`csrf-${file}`);
      }
    });

    it('renders text and img nodes with their content', () => {
      for (const content of nodes.filter((n) => n.type === 'img' || n.type === 'text')) {
        const attributes = content.attributes as unknown as Record<string, unknown>;
        const element = doc.getElementById(`kratos-${attributes.id}`);
        expect(element).not.toBeNull();
        if (content.type === 'img') {
          expect(element?.getAttribute('src')).toBe(QR);
          expect(element?.getAttribute('alt')).toBe(content.meta.label?.text);
        } else {
          expect(element?.querySelector('h3')?.textContent).toBe(content.meta.label?.text);
          expect(element?.querySelector('code')?.textContent).toBe(SECRET);
        }
      }
    });

    it('shows the flow messages', () => {
      for (const message of messages) expect(doc.querySelector(`[data-message-id="${message.id}"]`)?.textContent).toBe(message.text);
    });

    it('emits no inline script and no inline event handler', () => {
      expect(inlineHandlers(doc)).toEqual([]);
      expect(inlineScripts(doc)).toBe(0);
    });
  });

  describe('verification in passed_challenge (GET form with a continue link)', () => {
    const continueLink = node('a', 'code', {
      id: 'continue',
      href: 'http://127.0.0.1:3000/welcome',
      title: { id: 1070009, text: 'Continue', type: 'info' },
    });
    const ui = {
      ...flowUi('verification', [continueLink], [{ id: 1080002, text: 'You successfully verified your email address.', type: 'success' }], 'GET'),
      action: 'http://127.0.0.1:3000/welcome',
    };
    const doc = parse(renderPage(viewData('verification', ui)));

    it('keeps the GET method and the action', () => {
      const form = doc.querySelector('form');
      expect(form?.getAttribute('method')).toBe('GET');
      expect(form?.getAttribute('action')).toBe('http://127.0.0.1:3000/welcome');
    });

    it('renders the link with its title', () => {
      const link = doc.getElementById('kratos-continue');
      expect(link?.tagName).toBe('A');
      expect(link?.getAttribute('href')).toBe('http://127.0.0.1:3000/welcome');
      expect(link?.textContent).toBe('Continue');
      expect(doc.querySelector('[role="status"]')?.textContent).toBe('You successfully verified your email address.');
    });
  });
});
