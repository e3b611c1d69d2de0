import type { UiNode, UiText } from '@ory/kratos-client-fetch';
import { renderPage } from '../../lib/render';
import type { FlowViewData } from '../../lib/render';
import { flowUi, inlineHandlers, inlineScripts, inputNode, node, parse, viewData } from './helpers';

const PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  'javascript:alert(1)',
  '</style><script>alert(1)</script>',
  '</title><script>alert(1)</script>',
  '" onfocus="alert(1)" autofocus="',
];

function text(value: string, type: UiText['type'] = 'info'): UiText {
  return { id: 4000001, text: value, type, context: { secret: value, reason: value } };
}

function hostileNodes(p: string): UiNode[] {
  const t = text(p);
  const meta = { label: t };
  return [
    inputNode('csrf_token', 'hidden', { value: p }),
    inputNode(p, 'text', { value: p, pattern: p, autocomplete: p, label: t }, 'default', meta, [text(p, 'error')]),
    inputNode(p, p, { value: p }, 'default', meta, [text(p, 'error')]),
    inputNode(p, 'checkbox', { value: p }, p, meta),
    inputNode(p, 'submit', { value: p, onclick: p, onclickTrigger: p, onload: p, onloadTrigger: p }, p, meta, [text(p)]),
    node('text', p, { id: p, text: { ...t, context: { secrets: [t, p] } } }, meta, [text(p)]),
    node('text', 'totp', { id: p, text: t }, meta),
    node('img', p, { id: p, src: p, width: p, height: p }, meta, [text(p)]),
    node('img', 'totp', { id: p, src: `data:image/png;base64,${p}`, width: 1, height: 1 }, meta),
    node('a', p, { id: p, href: p, title: t }, meta, [text(p)]),
    node('script', p, { src: p, id: p, type: p, integrity: p, crossorigin: p, referrerpolicy: p, nonce: p, async: true }),
    node('script', 'webauthn', { src: `http://127.0.0.1:4433/x.js?${p}`, id: p, type: p, integrity: p, crossorigin: p, referrerpolicy: p, async: true }),
    node(p, p, { id: p }, meta, [text(p)]),
  ] as UiNode[];
}

function hostilePage(p: string, kind: FlowViewData['kind']): FlowViewData {
  const ui = { ...flowUi('login', hostileNodes(p), [text(p, 'error'), text(p, 'info')]), action: p, method: p };
  return viewData(kind, ui, {
    title: p,
    urls: { home: p, login: p, registration: p, recovery: p, verification: p, settings: p, logout: p },
    error: { id: p, error: { code: p, status: p, message: p, reason: p, id: p } },
  });
}

describe('escaping everything Kratos or the request can put in a page', () => {
  describe.each(PAYLOADS)('payload %j', (p) => {
    describe.each(['login', 'error'] as const)('on the %s page', (kind) => {
      const html = renderPage(hostilePage(p, kind), { appName: p, messages: (t) => t.text });
      const doc = parse(html);

      it('adds no inline event handler and no inline script', () => {
        expect(inlineHandlers(doc)).toEqual([]);
        expect(inlineScripts(doc)).toBe(0);
      });

      it('loads scripts only from http(s) sources', () => {
        for (const script of Array.from(doc.querySelectorAll('script'))) {
          expect(script.getAttribute('src')).toMatch(/^(http:\/\/127\.0\.0\.1:4433\/|kratos-express\.js$)/);
        }
      });

      it('emits no javascript: URL and no foreign image', () => {
        for (const element of Array.from(doc.querySelectorAll('[href], [src], [action]'))) {
          for (const name of ['href', 'src', 'action']) {
            const value = element.getAttribute(name);
            if (value !== null) expect(value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase()).not.toMatch(/^(javascript|vbscript|data:text)/);
          }
        }
        expect(doc.querySelector('img[src="x"], svg')).toBeNull();
      });

      it('keeps exactly one style element, one title and the document structure', () => {
        expect(doc.querySelectorAll('style')).toHaveLength(1);
        expect(doc.querySelectorAll('title')).toHaveLength(1);
        expect(doc.title).toBe(`${p} – ${p}`);
        expect(doc.querySelectorAll('h1')).toHaveLength(1);
        expect(doc.querySelector('h1')!.textContent).toBe(p);
        expect(doc.querySelector('header')!.textContent).toBe(p);
      });

      it('shows the hostile strings as text, where they belong', () => {
        expect(doc.querySelector('[role="alert"]')!.textContent).toBe(p);
        if (kind === 'login') {
          const field = doc.querySelector('input.kratos-input')!;
          expect(field.getAttribute('name')).toBe(p);
          expect(field.getAttribute('value')).toBe(p);
          expect(doc.querySelector(`label[for="${field.id}"]`)!.textContent).toBe(p);
          expect(doc.querySelector('input[name="csrf_token"]')!.getAttribute('value')).toBe(p);
        } else {
          expect(doc.querySelector('.kratos-error-reason')!.textContent).toBe(p);
        }
      });
    });
  });
});
