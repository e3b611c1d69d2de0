import { groupNodes, renderForm } from '../../lib/render';
import { flowUi, inputNode, label, parse } from './helpers';

const csrf = inputNode('csrf_token', 'hidden', { value: 'tok' });
const identifier = inputNode('identifier', 'text', {}, 'default', label('E-Mail'));
const submit = inputNode('method', 'submit', { value: 'password' }, 'password', label('Sign in'));

describe('renderForm', () => {
  it('renders the group heading, labelled section and a form posting to Kratos', () => {
    const [form] = groupNodes(flowUi('login', [csrf, identifier, submit])).forms;
    const doc = parse(renderForm(form));
    const section = doc.querySelector('section')!;
    expect(section.className).toBe('kratos-method kratos-method--password');
    expect(doc.getElementById(section.getAttribute('aria-labelledby')!)!.textContent).toBe('Password');
    expect(doc.querySelector('form')!.getAttribute('action')).toBe(form.action);
    expect(doc.querySelector('form')!.getAttribute('method')).toBe('POST');
    expect(Array.from(doc.querySelectorAll('form [name]')).map((e) => e.getAttribute('name'))).toEqual(['csrf_token', 'identifier', 'method']);
  });

  it('leaves the heading out with heading: false', () => {
    const [form] = groupNodes(flowUi('login', [csrf, submit])).forms;
    const doc = parse(renderForm(form, { heading: false }));
    expect(doc.querySelector('h2')).toBeNull();
    expect(doc.querySelector('section')!.hasAttribute('aria-labelledby')).toBe(false);
  });

  it('keeps ids unique across forms rendered with the same usedIds', () => {
    const usedIds = new Set<string>();
    const [form] = groupNodes(flowUi('login', [identifier, submit])).forms;
    const doc = parse(renderForm(form, { usedIds }) + renderForm(form, { usedIds }));
    const ids = Array.from(doc.querySelectorAll('[id]')).map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('drops a javascript: action and an unknown method instead of emitting them', () => {
    const doc = parse(renderForm({ group: 'password', action: 'javascript:alert(1)', method: 'DELETE', nodes: [csrf] }));
    expect(doc.querySelector('form')!.hasAttribute('action')).toBe(false);
    expect(doc.querySelector('form')!.getAttribute('method')).toBe('POST');
  });

  it('keeps a GET method', () => {
    expect(parse(renderForm({ group: 'code', action: '/next', method: 'get', nodes: [] })).querySelector('form')!.getAttribute('method')).toBe('GET');
  });
});
