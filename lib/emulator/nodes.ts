import type { UiText } from './messages';

export type NodeGroup = 'default' | 'password' | 'oidc' | 'profile' | 'link' | 'code' | 'totp' | 'lookup_secret' | 'webauthn' | 'passkey' | 'identifier_first';

export interface UiNode {
  type: 'input' | 'text' | 'img' | 'a' | 'script';
  group: NodeGroup;
  attributes: Record<string, unknown>;
  messages: UiText[];
  meta: { label?: UiText };
}

export interface UiContainer {
  action: string;
  method: 'POST' | 'GET';
  nodes: UiNode[];
  messages?: UiText[];
}

export interface InputOptions {
  value?: unknown;
  required?: boolean;
  autocomplete?: string;
  pattern?: string;
  maxlength?: number;
  disabled?: boolean;
}

/** An input node with Kratos' attribute rules (value omitted when undefined, required/autocomplete omitted when unset). */
export function input(group: NodeGroup, name: string, type: string, opts: InputOptions = {}, label?: UiText): UiNode {
  const attributes: Record<string, unknown> = { name, type };
  if (opts.value !== undefined && opts.value !== null) attributes.value = opts.value;
  if (opts.required) attributes.required = true;
  if (opts.autocomplete) attributes.autocomplete = opts.autocomplete;
  if (opts.pattern) attributes.pattern = opts.pattern;
  attributes.disabled = opts.disabled ?? false;
  if (opts.maxlength) attributes.maxlength = opts.maxlength;
  attributes.node_type = 'input';
  return { type: 'input', group, attributes, messages: [], meta: label ? { label } : {} };
}

export const csrfNode = (token: string): UiNode => input('default', 'csrf_token', 'hidden', { value: token, required: true });

export const submit = (group: NodeGroup, name: string, value: string, label?: UiText): UiNode => input(group, name, 'submit', { value }, label);

export function textNode(group: NodeGroup, id: string, text: UiText, label?: UiText): UiNode {
  return { type: 'text', group, attributes: { text, id, node_type: 'text' }, messages: [], meta: label ? { label } : {} };
}

export function imgNode(group: NodeGroup, id: string, src: string, size: number, label?: UiText): UiNode {
  return { type: 'img', group, attributes: { src, id, width: size, height: size, node_type: 'img' }, messages: [], meta: label ? { label } : {} };
}

export function anchorNode(group: NodeGroup, id: string, href: string, title: UiText): UiNode {
  return { type: 'a', group, attributes: { href, title, id, node_type: 'a' }, messages: [], meta: { label: title } };
}

export const nodeName = (n: UiNode): string | undefined => (typeof n.attributes.name === 'string' ? n.attributes.name : undefined);

export function findNode(nodes: UiNode[], name: string, group?: NodeGroup): UiNode | undefined {
  return nodes.find((n) => nodeName(n) === name && (group === undefined || n.group === group));
}

/** Attaches a message to the node named `name` (first match), or returns false when there is none. */
export function addNodeMessage(nodes: UiNode[], name: string, message: UiText): boolean {
  const node = findNode(nodes, name);
  if (!node) return false;
  node.messages.push(message);
  return true;
}

export function setNodeValue(nodes: UiNode[], name: string, value: unknown): void {
  const node = findNode(nodes, name);
  if (!node) return;
  if (value === undefined || value === null) delete node.attributes.value;
  else node.attributes.value = value;
}

export const clearMessages = (ui: UiContainer): void => {
  delete ui.messages;
  for (const n of ui.nodes) n.messages = [];
};

export function addUiMessage(ui: UiContainer, message: UiText): void {
  ui.messages = [...(ui.messages ?? []), message];
}
