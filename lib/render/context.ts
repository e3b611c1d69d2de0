import type { UiNode, UiText } from '@ory/kratos-client-fetch';
import type { ResolvedRenderOptions } from './options';

/** State shared while one page (or one standalone fragment) is rendered. */
export interface RenderContext {
  options: ResolvedRenderOptions;
  /** Ids already used in the page, so that every generated id is unique. */
  ids: Set<string>;
  /** Group of the form being rendered; part of the generated ids. */
  formGroup?: string;
  nonce?: string;
}

export function createContext(options: ResolvedRenderOptions, ids = new Set<string>(), nonce = options.nonce): RenderContext {
  return { options, ids, nonce };
}

/** A valid, unique id derived from `parts` (`['password', 'traits.email']` -> `kratos-password-traits-email`). */
export function uniqueId(ctx: RenderContext, ...parts: unknown[]): string {
  const slug = parts
    .map((part) => String(part ?? '').replace(/[^A-Za-z0-9_-]+/g, '-'))
    .join('-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '');
  const base = `kratos-${slug || 'node'}`;
  let id = base;
  for (let n = 2; ctx.ids.has(id); n++) id = `${base}-${n}`;
  ctx.ids.add(id);
  return id;
}

export type Attributes = Record<string, unknown>;

export function attributesOf(node: UiNode): Attributes {
  const attributes = (node as { attributes?: unknown })?.attributes;
  return typeof attributes === 'object' && attributes !== null ? (attributes as Attributes) : {};
}

export function isUiText(value: unknown): value is UiText {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function messagesOf(node: UiNode): UiText[] {
  const messages = (node as { messages?: unknown })?.messages;
  return Array.isArray(messages) ? messages.filter(isUiText) : [];
}

export function metaLabel(node: UiNode): UiText | undefined {
  const label = (node as { meta?: { label?: unknown } })?.meta?.label;
  return isUiText(label) ? label : undefined;
}

export function stringAttribute(attributes: Attributes, name: string): string | undefined {
  const value = attributes[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function nodeType(node: UiNode): string {
  const type = (node as { type?: unknown })?.type;
  return typeof type === 'string' ? type : String(attributesOf(node).node_type ?? '');
}

export function nodeGroup(node: UiNode): string {
  const group = (node as { group?: unknown })?.group;
  return typeof group === 'string' && group !== '' ? group : 'default';
}
