import type { UiNode } from '@ory/kratos-client-fetch';
import { attributesOf, messagesOf, nodeGroup, stringAttribute, uniqueId, type Attributes, type RenderContext } from './context';
import { escapeHtml } from './escape';
import { attr, flag, positiveInteger } from './html';
import { renderNodeMessages } from './messages';
import { labelFor } from './text';
import { triggerPattern } from './client-script';

const AUTOCOMPLETE_BY_NAME: Record<string, string> = {
  identifier: 'username',
  totp_code: 'one-time-code',
  code: 'one-time-code',
};

const FIELD_TYPES = new Set(['text', 'password', 'number', 'email', 'tel', 'datetime-local', 'date', 'url']);

function trigger(attributes: Attributes, name: 'onclickTrigger' | 'onloadTrigger'): string | undefined {
  const value = attributes[name];
  return typeof value === 'string' && triggerPattern.test(value) ? value : undefined;
}

/** True when the node asks for a WebAuthn/passkey function to run on click or on load. */
export function hasTrigger(node: UiNode): boolean {
  const attributes = attributesOf(node);
  return trigger(attributes, 'onclickTrigger') !== undefined || trigger(attributes, 'onloadTrigger') !== undefined;
}

function triggerAttributes(attributes: Attributes): string {
  return (
    attr('data-kratos-onclick-trigger', trigger(attributes, 'onclickTrigger')) +
    attr('data-kratos-onload-trigger', trigger(attributes, 'onloadTrigger'))
  );
}

function describedBy(ids: string[], invalid: boolean): string {
  return attr('aria-describedby', ids.length > 0 ? ids.join(' ') : undefined) + attr('aria-invalid', invalid ? 'true' : undefined);
}

function fieldId(node: UiNode, ctx: RenderContext, name: string): string {
  return uniqueId(ctx, ctx.formGroup ?? nodeGroup(node), name);
}

function renderHidden(node: UiNode, ctx: RenderContext, attributes: Attributes, name: string): string {
  const messages = messagesOf(node);
  const notes = messages.length > 0 ? renderNodeMessages(messages, fieldId(node, ctx, name), ctx.options.translate).html : '';
  return `<input type="hidden"${attr('name', name)}${attr('value', attributes.value)}${triggerAttributes(attributes)}>${notes}`;
}

function renderButton(node: UiNode, ctx: RenderContext, attributes: Attributes, name: string, type: string): string {
  const id = fieldId(node, ctx, `${name}-${String(attributes.value ?? '')}`);
  const messages = renderNodeMessages(messagesOf(node), id, ctx.options.translate);
  const label = labelFor(node, ctx.options.translate, ctx.options.labels);
  const classes = `kratos-button kratos-button--${nodeGroup(node).replace(/[^A-Za-z0-9_-]/g, '')}`;
  return (
    `<div class="kratos-field kratos-field--${type}">` +
    `<button type="${type}" id="${id}" class="${classes}"${attr('name', name || undefined)}${attr('value', attributes.value)}` +
    `${flag('disabled', attributes.disabled)}${triggerAttributes(attributes)}${describedBy(messages.ids, messages.invalid)}>` +
    `${escapeHtml(label)}</button>${messages.html}</div>`
  );
}

function renderCheckbox(node: UiNode, ctx: RenderContext, attributes: Attributes, name: string): string {
  const id = fieldId(node, ctx, name);
  const messages = renderNodeMessages(messagesOf(node), id, ctx.options.translate);
  const label = labelFor(node, ctx.options.translate, ctx.options.labels);
  const checked = attributes.value === true || attributes.value === 'true';
  return (
    `<div class="kratos-field kratos-field--checkbox${messages.invalid ? ' kratos-field--invalid' : ''}">` +
    `<input type="checkbox" id="${id}"${attr('name', name)} value="true"${flag('checked', checked)}` +
    `${flag('required', attributes.required)}${flag('disabled', attributes.disabled)}${triggerAttributes(attributes)}` +
    `${describedBy(messages.ids, messages.invalid)}>` +
    `<label class="kratos-label" for="${id}">${escapeHtml(label)}</label>${messages.html}</div>`
  );
}

function inputValue(type: string, value: unknown): unknown {
  if (type === 'password' && (value === undefined || value === null)) return undefined;
  return value;
}

function renderField(node: UiNode, ctx: RenderContext, attributes: Attributes, name: string, type: string): string {
  const id = fieldId(node, ctx, name);
  const messages = renderNodeMessages(messagesOf(node), id, ctx.options.translate);
  const label = labelFor(node, ctx.options.translate, ctx.options.labels);
  const autocomplete =
    stringAttribute(attributes, 'autocomplete') ??
    (Object.prototype.hasOwnProperty.call(AUTOCOMPLETE_BY_NAME, name) ? AUTOCOMPLETE_BY_NAME[name] : undefined);
  const required = attributes.required === true;
  return (
    `<div class="kratos-field kratos-field--${type}${messages.invalid ? ' kratos-field--invalid' : ''}">` +
    `<label class="kratos-label" for="${id}">${escapeHtml(label)}` +
    `${required ? '<span class="kratos-required" aria-hidden="true">*</span>' : ''}</label>` +
    `<input type="${type}" id="${id}" class="kratos-input"${attr('name', name)}${attr('value', inputValue(type, attributes.value))}` +
    `${type === 'number' ? ' step="any"' : ''}${flag('required', required)}${flag('disabled', attributes.disabled)}` +
    `${attr('pattern', stringAttribute(attributes, 'pattern'))}${attr('maxlength', positiveInteger(attributes.maxlength))}` +
    `${attr('autocomplete', autocomplete)}${triggerAttributes(attributes)}${describedBy(messages.ids, messages.invalid)}>` +
    `${messages.html}</div>`
  );
}

/** One `input` node: a labelled field, a checkbox submitting `true`, a hidden input, or a button. */
export function renderInputNode(node: UiNode, ctx: RenderContext): string {
  const attributes = attributesOf(node);
  const name = typeof attributes.name === 'string' ? attributes.name : '';
  const type = typeof attributes.type === 'string' ? attributes.type : 'text';
  if (type === 'hidden') return renderHidden(node, ctx, attributes, name);
  if (type === 'submit' || type === 'button') return renderButton(node, ctx, attributes, name, type);
  if (type === 'checkbox') return renderCheckbox(node, ctx, attributes, name);
  return renderField(node, ctx, attributes, name, FIELD_TYPES.has(type) ? type : 'text');
}
