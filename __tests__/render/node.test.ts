import type { UiNode, UiText } from '@ory/kratos-client-fetch';
import { nodeLabel, renderNode } from '../../lib/render';
import { inlineHandlers, inputNode, label, node, parse } from './helpers';

function render(n: UiNode, options?: Parameters<typeof renderNode>[1]): Document {
  return parse(`<!DOCTYPE html><body>${renderNode(n, options)}</body>`);
}

const error: UiText = { id: 4000002, text: 'Property email is missing.', type: 'error' };
const hint: UiText = { id: 1010014, text: 'A code was sent to you.', type: 'info' };

describe('renderNode: input fields', () => {
  it('renders a labelled input with name, type, value, required, disabled, pattern, maxlength and autocomplete', () => {
    const doc = render(
      inputNode('code', 'text', { value: '12', required: true, pattern: '[0-9]+', maxlength: 6, autocomplete: 'one-time-code' }, 'code', label('Recovery code', 1070010)),
    );
    const input = doc.querySelector('input')!;
    expect(input.id).toBe('kratos-code-code');
    expect(input.getAttribute('name')).toBe('code');
    expect(input.getAttribute('type')).toBe('text');
    expect(input.getAttribute('value')).toBe('12');
    expect(input.hasAttribute('required')).toBe(true);
    expect(input.hasAttribute('disabled')).toBe(false);
    expect(input.getAttribute('pattern')).toBe('[0-9]+');
    expect(input.getAttribute('maxlength')).toBe('6');
    expect(input.getAttribute('autocomplete')).toBe('one-time-code');
    const labelElement = doc.querySelector(`label[for="${input.id}"]`)!;
    expect(labelElement.textContent).toBe('Recovery code*');
  });

  it.each(['text', 'password', 'number', 'email', 'tel', 'datetime-local', 'date', 'url'])('renders an input of type %s', (type) => {
    const input = render(inputNode('traits.field', type, { value: type === 'password' ? undefined : 'v' })).querySelector('input')!;
    expect(input.getAttribute('type')).toBe(type);
  });

  it('lets number inputs take decimals, as JSON schema numbers can have them', () => {
    const input = render(inputNode('traits.numby', 'number', { value: 2.5 }, 'profile')).querySelector('input')!;
    expect(input.getAttribute('value')).toBe('2.5');
    expect(input.getAttribute('step')).toBe('any');
  });

  it('marks a disabled input disabled', () => {
    expect(render(inputNode('traits.email', 'email', { disabled: true })).querySelector('input')!.hasAttribute('disabled')).toBe(true);
  });

  it('omits maxlength when it is not a positive integer and omits absent values', () => {
    const input = render(inputNode('identifier', 'text', { maxlength: 0 })).querySelector('input')!;
    expect(input.hasAttribute('maxlength')).toBe(false);
    expect(input.hasAttribute('value')).toBe(false);
  });

  it('suggests autocomplete for the login identifier and one-time codes when Kratos gives none', () => {
    expect(render(inputNode('identifier', 'text', { value: '' })).querySelector('input')!.getAttribute('autocomplete')).toBe('username');
    expect(render(inputNode('totp_code', 'text', {}, 'totp')).querySelector('input')!.getAttribute('autocomplete')).toBe('one-time-code');
    expect(render(inputNode('traits.nickname', 'text')).querySelector('input')!.hasAttribute('autocomplete')).toBe(false);
  });

  it('renders a hidden input with its value and no label', () => {
    const doc = render(inputNode('csrf_token', 'hidden', { value: 'tok', required: true }));
    expect(doc.querySelector('input')!.outerHTML).toBe('<input type="hidden" name="csrf_token" value="tok">');
    expect(doc.querySelector('label')).toBeNull();
  });
});

describe('renderNode: labels, ids and aria', () => {
  it('prefers attributes.label over meta.label', () => {
    const n = inputNode('traits.email', 'email', { label: { id: 1, text: 'Work email', type: 'info' } }, 'default', label('E-Mail'));
    expect(nodeLabel(n)).toBe('Work email');
    expect(render(n).querySelector('label')!.textContent).toBe('Work email');
  });

  it('derives a label from the field name when Kratos sends none', () => {
    expect(nodeLabel(inputNode('traits.should_long_string', 'text'))).toBe('Should long string');
    expect(nodeLabel(inputNode('csrf_token', 'hidden'))).toBe('');
  });

  it('derives stable ids from the form group and the node name, unique across calls sharing usedIds', () => {
    const usedIds = new Set<string>();
    const identifier = inputNode('identifier', 'text');
    const first = parse(renderNode(identifier, { formGroup: 'password', usedIds })).querySelector('input')!.id;
    const second = parse(renderNode(identifier, { formGroup: 'oidc', usedIds })).querySelector('input')!.id;
    const third = parse(renderNode(identifier, { formGroup: 'oidc', usedIds })).querySelector('input')!.id;
    expect([first, second, third]).toEqual(['kratos-password-identifier', 'kratos-oidc-identifier', 'kratos-oidc-identifier-2']);
    expect(parse(renderNode(identifier, { formGroup: 'password' })).querySelector('input')!.id).toBe(first);
  });

  it('puts error messages next to their field, linked with aria-describedby, and sets aria-invalid', () => {
    const doc = render(inputNode('traits.email', 'email', {}, 'default', label('E-Mail'), [error, hint]));
    const input = doc.querySelector('input')!;
    const ids = input.getAttribute('aria-describedby')!.split(' ');
    expect(ids).toHaveLength(2);
    expect(doc.getElementById(ids[0])!.textContent).toBe(error.text);
    expect(doc.getElementById(ids[0])!.className).toContain('kratos-message--error');
    expect(doc.getElementById(ids[1])!.className).toContain('kratos-message--info');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.closest('.kratos-field')!.className).toContain('kratos-field--invalid');
  });

  it('does not mark a field invalid for an info message', () => {
    const input = render(inputNode('code', 'text', {}, 'code', {}, [hint])).querySelector('input')!;
    expect(input.hasAttribute('aria-invalid')).toBe(false);
    expect(input.getAttribute('aria-describedby')).toBeTruthy();
  });

  it('translates labels and messages by id with the messages option', () => {
    const messages = (text: UiText) => (text.id === 1070001 ? 'Passwort' : text.id === 4000002 ? 'Fehlt' : text.text);
    const doc = render(inputNode('password', 'password', {}, 'password', label('Password', 1070001), [error]), { messages });
    expect(doc.querySelector('label')!.textContent).toBe('Passwort');
    expect(doc.querySelector('.kratos-message')!.textContent).toBe('Fehlt');
  });
});

describe('renderNode: checkboxes', () => {
  it('submits true when checked, and is checked when Kratos has true', () => {
    const input = render(inputNode('traits.newsletter', 'checkbox', { value: true }, 'profile')).querySelector('input')!;
    expect(input.getAttribute('type')).toBe('checkbox');
    expect(input.getAttribute('value')).toBe('true');
    expect(input.hasAttribute('checked')).toBe(true);
  });

  it('is unchecked for false or a missing value and adds no hidden fallback, so nothing is submitted', () => {
    for (const value of [false, undefined, 'false']) {
      const doc = render(inputNode('traits.newsletter', 'checkbox', { value }, 'profile'));
      expect(doc.querySelectorAll('input')).toHaveLength(1);
      expect(doc.querySelector('input')!.hasAttribute('checked')).toBe(false);
    }
  });

  it('has a label pointing at it', () => {
    const doc = render(inputNode('traits.tos', 'checkbox', {}, 'profile', label('Accept the terms')));
    expect(doc.querySelector(`label[for="${doc.querySelector('input')!.id}"]`)!.textContent).toBe('Accept the terms');
  });
});

describe('renderNode: buttons and triggers', () => {
  it('renders a submit input as a submit button with name, value and label', () => {
    const button = render(inputNode('method', 'submit', { value: 'password' }, 'password', label('Sign in with password', 1010022))).querySelector('button')!;
    expect(button.getAttribute('type')).toBe('submit');
    expect(button.getAttribute('name')).toBe('method');
    expect(button.getAttribute('value')).toBe('password');
    expect(button.textContent).toBe('Sign in with password');
  });

  it('renders a button input as a type=button button, disabled when Kratos says so', () => {
    const button = render(inputNode('webauthn_register_trigger', 'button', { value: '', disabled: true }, 'webauthn', label('Add security key'))).querySelector('button')!;
    expect(button.getAttribute('type')).toBe('button');
    expect(button.hasAttribute('disabled')).toBe(true);
  });

  it('labels an unlabelled button from its value, else "Submit"', () => {
    expect(render(inputNode('provider', 'submit', { value: 'github' }, 'oidc')).querySelector('button')!.textContent).toBe('Github');
    expect(render(inputNode('go', 'submit', {}, 'oidc')).querySelector('button')!.textContent).toBe('Submit');
  });

  it('turns onclickTrigger and onloadTrigger into data attributes and never emits the onclick JavaScript', () => {
    const n = inputNode('passkey_login_trigger', 'button', {
      value: '',
      onclick: 'window.__oryPasskeyLogin()',
      onclickTrigger: 'oryPasskeyLogin',
      onload: 'window.__oryPasskeyLoginAutocompleteInit()',
      onloadTrigger: 'oryPasskeyLoginAutocompleteInit',
    }, 'passkey', label('Sign in with passkey', 1010021));
    const html = renderNode(n);
    const doc = parse(html);
    const button = doc.querySelector('button')!;
    expect(button.getAttribute('data-kratos-onclick-trigger')).toBe('oryPasskeyLogin');
    expect(button.getAttribute('data-kratos-onload-trigger')).toBe('oryPasskeyLoginAutocompleteInit');
    expect(inlineHandlers(doc)).toEqual([]);
    expect(html).not.toContain('__oryPasskeyLogin');
  });

  it('drops trigger names that are not Kratos functions', () => {
    const doc = render(inputNode('x', 'button', { onclickTrigger: 'alert', onloadTrigger: 'ory.evil()' }, 'webauthn'));
    expect(doc.querySelector('[data-kratos-onclick-trigger]')).toBeNull();
    expect(doc.querySelector('[data-kratos-onload-trigger]')).toBeNull();
  });
});

describe('renderNode: text, img, a and script nodes', () => {
  const secretLabel = label('This is your authenticator app secret. Use it if you can not scan the QR code.', 1050017);

  it('shows the TOTP secret under its label, from text.text', () => {
    const doc = render(node('text', 'totp', { id: 'totp_secret_key', text: { id: 1050006, text: 'JBSWY3DP', type: 'info', context: { secret: 'JBSWY3DP' } } }, secretLabel));
    expect(doc.querySelector('#kratos-totp_secret_key h3')!.textContent).toBe(secretLabel.label.text);
    expect(doc.querySelector('#kratos-totp_secret_key code')!.textContent).toBe('JBSWY3DP');
  });

  it('falls back to context.secret when the text is empty', () => {
    const doc = render(node('text', 'totp', { id: 'totp_secret_key', text: { id: 1050006, text: '', type: 'info', context: { secret: 'KZXW6YTB' } } }));
    expect(doc.querySelector('code')!.textContent).toBe('KZXW6YTB');
  });

  it('lists lookup codes from context.secrets, marking used ones', () => {
    const secrets = [
      { id: 1050009, text: 'a1b2c3d4', type: 'info', context: { secret: 'a1b2c3d4' } },
      { id: 1050014, text: 'Secret was used at 2024-01-01', type: 'info', context: { used_at: '2024-01-01' } },
      { id: 1050009, text: 'e5f6g7h8', type: 'info', context: { secret: 'e5f6g7h8' } },
    ];
    const doc = render(node('text', 'lookup_secret', {
      id: 'lookup_secret_codes',
      text: { id: 1050015, text: 'a1b2c3d4, e5f6g7h8', type: 'info', context: { secrets } },
    }, label('These are your back up recovery codes. Please keep them in a safe place!', 1050010)));
    const items = Array.from(doc.querySelectorAll('.kratos-secrets li'));
    expect(items.map((li) => li.textContent)).toEqual(['a1b2c3d4', 'Secret was used at 2024-01-01', 'e5f6g7h8']);
    expect(items[1].className).toBe('kratos-secret--used');
    expect(doc.querySelector('h3')!.textContent).toContain('back up recovery codes');
  });

  it('renders the TOTP QR code image with width, height and alt from the label', () => {
    const src = 'data:image/png;base64,iVBORw0KGgo=';
    const img = render(node('img', 'totp', { id: 'totp_qr', src, width: 256, height: 256 }, label('Authenticator app QR code', 1050005))).querySelector('img')!;
    expect(img.getAttribute('src')).toBe(src);
    expect(img.getAttribute('width')).toBe('256');
    expect(img.getAttribute('height')).toBe('256');
    expect(img.getAttribute('alt')).toBe('Authenticator app QR code');
  });

  it.each(['javascript:alert(1)', 'data:text/html;base64,PHNjcmlwdD4=', 'vbscript:x', ''])('drops an image whose source is %j', (src) => {
    expect(render(node('img', 'totp', { id: 'totp_qr', src, width: 256, height: 256 })).querySelector('img')).toBeNull();
  });

  it('renders a link with its title, for http(s) and relative hrefs', () => {
    for (const href of ['https://example.com/continue', '/welcome']) {
      const a = render(node('a', 'code', { id: 'continue', href, title: { id: 1070009, text: 'Continue', type: 'info' } })).querySelector('a')!;
      expect(a.getAttribute('href')).toBe(href);
      expect(a.textContent).toBe('Continue');
    }
  });

  it('renders a javascript: link as plain text', () => {
    const doc = render(node('a', 'code', { id: 'continue', href: 'javascript:alert(1)', title: { id: 1070009, text: 'Continue', type: 'info' } }));
    expect(doc.querySelector('a')).toBeNull();
    expect(doc.body.textContent).toBe('Continue');
  });

  it('renders a script node with its attributes and the nonce from the options, not from Kratos', () => {
    const html = renderNode(node('script', 'webauthn', {
      src: 'http://127.0.0.1:4433/.well-known/ory/webauthn.js',
      async: true,
      integrity: 'sha512-abc',
      crossorigin: 'anonymous',
      referrerpolicy: 'no-referrer',
      type: 'text/javascript',
      id: 'webauthn_script',
      nonce: 'kratos-nonce',
    }), { nonce: 'app-nonce' });
    const script = parse(html).querySelector('script')!;
    expect(script.getAttribute('src')).toBe('http://127.0.0.1:4433/.well-known/ory/webauthn.js');
    expect(script.hasAttribute('async')).toBe(true);
    expect(script.getAttribute('integrity')).toBe('sha512-abc');
    expect(script.getAttribute('crossorigin')).toBe('anonymous');
    expect(script.getAttribute('referrerpolicy')).toBe('no-referrer');
    expect(script.getAttribute('type')).toBe('text/javascript');
    expect(script.getAttribute('id')).toBe('webauthn_script');
    expect(script.getAttribute('nonce')).toBe('app-nonce');
    expect(script.textContent).toBe('');
  });

  it.each(['javascript:alert(1)', '/relative.js', 'data:text/javascript,alert(1)', ''])('drops a script node whose source is %j', (src) => {
    expect(renderNode(node('script', 'webauthn', { src, async: true, id: 's' }))).toBe('');
  });
});

describe('renderNode: graceful degradation', () => {
  it('renders the label and messages of an unknown node type', () => {
    const doc = render(node('div', 'captcha', { id: 'x' }, label('Solve the puzzle'), [error]));
    expect(doc.querySelector('.kratos-node--unknown p')!.textContent).toBe('Solve the puzzle');
    expect(doc.querySelector('.kratos-message--error')!.textContent).toBe(error.text);
  });

  it('renders an unknown input type as a labelled text input so its value is still submitted', () => {
    const doc = render(inputNode('traits.colour', 'color', { value: '#ff0000' }, 'profile', label('Colour'), [error]));
    const input = doc.querySelector('input')!;
    expect(input.getAttribute('type')).toBe('text');
    expect(input.getAttribute('value')).toBe('#ff0000');
    expect(doc.querySelector('label')!.textContent).toBe('Colour');
    expect(doc.querySelector('.kratos-message')!.textContent).toBe(error.text);
  });

  it('never throws on nodes with missing or malformed parts', () => {
    const broken = [
      {},
      { type: 'input' },
      { type: 'input', attributes: null, meta: null, messages: null },
      { type: 'text', attributes: { text: 'not a UiText' } },
      { type: 'img', attributes: { src: 42 } },
      { type: 'a', attributes: {} },
      { type: 'script', attributes: { src: {} } },
      { type: 'input', attributes: { name: 7, type: 9, value: { nested: ['x'] } }, messages: [null, 'x'] },
    ];
    for (const n of broken) expect(() => renderNode(n as unknown as UiNode)).not.toThrow();
  });
});
