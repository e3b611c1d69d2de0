import type { UiContainer } from '@ory/kratos-client-fetch';
import { groupNodes } from '../../lib/render';
import { flowUi, inputNode, node } from './helpers';

const csrf = inputNode('csrf_token', 'hidden', { value: 'token', required: true });
const identifier = inputNode('identifier', 'text', { value: '' });
const password = inputNode('password', 'password', {}, 'password');
const passwordSubmit = inputNode('method', 'submit', { value: 'password' }, 'password');
const google = inputNode('provider', 'submit', { value: 'google' }, 'oidc');
const webauthnScript = node('script', 'webauthn', { src: 'http://127.0.0.1:4433/.well-known/ory/webauthn.js', async: true, id: 'webauthn_script' });
const webauthnTrigger = inputNode('webauthn_login_trigger', 'button', { onclickTrigger: 'oryWebAuthnLogin' }, 'webauthn');

function names(nodes: { attributes: unknown }[]): string[] {
  return nodes.map((n) => String((n.attributes as { name?: string; id?: string }).name ?? (n.attributes as { id?: string }).id));
}

describe('groupNodes', () => {
  it('makes one form per method group in order of first appearance, each with the default nodes in Kratos order', () => {
    const { forms } = groupNodes(flowUi('login', [google, csrf, identifier, password, passwordSubmit]));
    expect(forms.map((form) => form.group)).toEqual(['oidc', 'password']);
    expect(names(forms[0].nodes)).toEqual(['provider', 'csrf_token', 'identifier']);
    expect(names(forms[1].nodes)).toEqual(['csrf_token', 'identifier', 'password', 'method']);
  });

  it('takes action and method from the UI container', () => {
    const ui = flowUi('verification', [csrf, passwordSubmit], [], 'GET');
    const { forms } = groupNodes(ui);
    expect(forms[0]).toMatchObject({ action: ui.action, method: 'GET' });
  });

  it('gives a flow with only default nodes one default form', () => {
    const { forms } = groupNodes(flowUi('login', [csrf, identifier]));
    expect(forms).toHaveLength(1);
    expect(forms[0].group).toBe('default');
    expect(names(forms[0].nodes)).toEqual(['csrf_token', 'identifier']);
  });

  it('puts script nodes in scripts, never in a form', () => {
    const grouped = groupNodes(flowUi('login', [csrf, webauthnScript, webauthnTrigger]));
    expect(grouped.scripts).toEqual([webauthnScript]);
    expect(grouped.forms.map((form) => form.group)).toEqual(['webauthn']);
    expect(grouped.forms[0].nodes).not.toContain(webauthnScript);
  });

  it('does not make a form for a group that only has script nodes', () => {
    const grouped = groupNodes(flowUi('login', [csrf, webauthnScript, password, passwordSubmit]));
    expect(grouped.forms.map((form) => form.group)).toEqual(['password']);
  });

  it('groups every node by its group, default and scripts included, in order', () => {
    const { nodesByGroup } = groupNodes(flowUi('login', [csrf, google, webauthnScript, identifier]));
    expect(Object.keys(nodesByGroup)).toEqual(['default', 'oidc', 'webauthn']);
    expect(nodesByGroup.default).toEqual([csrf, identifier]);
    expect(nodesByGroup.webauthn).toEqual([webauthnScript]);
  });

  it('returns the flow-level messages, and none when Kratos omitted them', () => {
    const message = { id: 4000006, text: 'The provided credentials are invalid.', type: 'error' as const };
    expect(groupNodes(flowUi('login', [csrf], [message])).messages).toEqual([message]);
    expect(groupNodes({ action: '/x', method: 'POST', nodes: [csrf] }).messages).toEqual([]);
  });

  it('treats a node without a group as a default node', () => {
    const orphan = { ...identifier, group: undefined } as unknown as typeof identifier;
    const { forms } = groupNodes(flowUi('login', [orphan, password]));
    expect(forms[0].nodes).toEqual([orphan, password]);
  });

  it('returns no forms for an empty or malformed container instead of throwing', () => {
    expect(groupNodes(flowUi('login', [])).forms).toEqual([]);
    expect(groupNodes({} as UiContainer)).toEqual({ nodesByGroup: {}, forms: [], scripts: [], messages: [] });
    expect(groupNodes(undefined as unknown as UiContainer).forms).toEqual([]);
    expect(groupNodes({ action: '/x', method: 'POST', nodes: [null, 3, csrf] } as unknown as UiContainer).forms[0].nodes).toEqual([csrf]);
  });
});
