import type { UiText } from '@ory/kratos-client-fetch';
import { escapeAttribute, escapeHtml } from './escape';
import { isUiText } from './context';
import { resolveRenderOptions, type RenderOptions } from './options';

const MESSAGE_TYPES = new Set(['info', 'error', 'success']);

export function messageType(text: UiText): 'info' | 'error' | 'success' {
  return MESSAGE_TYPES.has(text.type) ? text.type : 'info';
}

export function renderMessage(text: UiText, translate: (text: UiText) => string, id?: string): string {
  const type = messageType(text);
  const idAttribute = id ? ` id="${escapeAttribute(id)}"` : '';
  const messageId = typeof text.id === 'number' && Number.isFinite(text.id) ? ` data-message-id="${text.id}"` : '';
  return `<p${idAttribute} class="kratos-message kratos-message--${type}"${messageId}>${escapeHtml(translate(text))}</p>`;
}

export interface NodeMessages {
  html: string;
  ids: string[];
  invalid: boolean;
}

/** Messages of one field, each with an id that the field lists in `aria-describedby`. */
export function renderNodeMessages(
  messages: UiText[],
  fieldId: string,
  translate: (text: UiText) => string,
): NodeMessages {
  const ids = messages.map((_, index) => `${fieldId}-message-${index + 1}`);
  return {
    html: messages.map((text, index) => renderMessage(text, translate, ids[index])).join(''),
    ids,
    invalid: messages.some((text) => messageType(text) === 'error'),
  };
}

export function renderFlowMessages(messages: UiText[], translate: (text: UiText) => string): string {
  const valid = Array.isArray(messages) ? messages.filter(isUiText) : [];
  if (valid.length === 0) return '';
  const errors = valid.filter((text) => messageType(text) === 'error');
  const others = valid.filter((text) => messageType(text) !== 'error');
  const region = (role: string, list: UiText[]) =>
    list.length === 0
      ? ''
      : `<div class="kratos-messages kratos-messages--${role === 'alert' ? 'error' : 'status'}" role="${role}">${list
          .map((text) => renderMessage(text, translate))
          .join('')}</div>`;
  return region('alert', errors) + region('status', others);
}

/**
 * Flow-level messages (`ui.messages`): errors in a `role="alert"` region, info and success in a
 * `role="status"` region, each message classed `kratos-message--<type>`.
 *
 * @example
 * renderMessages(flow.ui.messages ?? [])
 */
export function renderMessages(messages: UiText[], options?: RenderOptions): string {
  return renderFlowMessages(messages, resolveRenderOptions(options).translate);
}
