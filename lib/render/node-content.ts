import type { UiNode, UiText } from '@ory/kratos-client-fetch';
import { attributesOf, isUiText, messagesOf, metaLabel, nodeType, stringAttribute, uniqueId, type RenderContext } from './context';
import { escapeHtml, isAbsoluteHttpUrl, isSafeHref, isSafeImageSrc } from './escape';
import { attr, flag, positiveInteger } from './html';
import { renderNodeMessages } from './messages';
import { labelFor, nodeLabelText, translateText } from './text';

const LOOKUP_SECRET_USED = 1050014;
const TOTP_SECRET = 1050006;

function contextOf(text: UiText | undefined): Record<string, unknown> {
  const context = text?.context;
  return typeof context === 'object' && context !== null ? (context as Record<string, unknown>) : {};
}

function textValue(text: UiText, ctx: RenderContext): string {
  const translated = translateText(text, ctx.options.translate);
  if (translated !== '') return translated;
  const secret = contextOf(text).secret;
  return typeof secret === 'string' ? secret : '';
}

function renderSecrets(secrets: unknown[], ctx: RenderContext): string {
  const items = secrets.map((secret) => {
    if (typeof secret === 'string') return `<li><code class="kratos-secret">${escapeHtml(secret)}</code></li>`;
    if (!isUiText(secret)) return '';
    const value = escapeHtml(textValue(secret, ctx));
    return secret.id === LOOKUP_SECRET_USED
      ? `<li class="kratos-secret--used">${value}</li>`
      : `<li><code class="kratos-secret">${value}</code></li>`;
  });
  return `<ul class="kratos-secrets">${items.join('')}</ul>`;
}

function renderTextBody(text: UiText | undefined, ctx: RenderContext): string {
  if (!text) return '';
  const secrets = contextOf(text).secrets;
  if (Array.isArray(secrets)) return renderSecrets(secrets, ctx);
  const value = textValue(text, ctx);
  if (value === '') return '';
  const isSecret = text.id === TOTP_SECRET || typeof contextOf(text).secret === 'string';
  return isSecret
    ? `<p><code class="kratos-secret">${escapeHtml(value)}</code></p>`
    : `<p class="kratos-text-body">${escapeHtml(value)}</p>`;
}

function elementId(node: UiNode, ctx: RenderContext, fallback: string): string {
  return uniqueId(ctx, stringAttribute(attributesOf(node), 'id') ?? fallback);
}

/** A `text` node: its label as a heading, then the text (TOTP secret, lookup codes list, ...). */
export function renderTextNode(node: UiNode, ctx: RenderContext): string {
  const attributes = attributesOf(node);
  const id = elementId(node, ctx, 'text');
  const heading = translateText(metaLabel(node), ctx.options.translate);
  const messages = renderNodeMessages(messagesOf(node), id, ctx.options.translate);
  const text = isUiText(attributes.text) ? attributes.text : undefined;
  return (
    `<div class="kratos-text" id="${id}">` +
    `${heading ? `<h3 class="kratos-text-heading">${escapeHtml(heading)}</h3>` : ''}` +
    `${renderTextBody(text, ctx)}${messages.html}</div>`
  );
}

/** An `img` node (TOTP QR code): only `data:image/` and http(s) sources are emitted. */
export function renderImageNode(node: UiNode, ctx: RenderContext): string {
  const attributes = attributesOf(node);
  const id = elementId(node, ctx, 'image');
  const messages = renderNodeMessages(messagesOf(node), id, ctx.options.translate);
  const src = attributes.src;
  const alt = labelFor(node, ctx.options.translate, ctx.options.labels);
  const image = isSafeImageSrc(src)
    ? `<img id="${id}"${attr('src', src)} alt="${escapeHtml(alt)}"${attr('width', positiveInteger(attributes.width))}` +
      `${attr('height', positiveInteger(attributes.height))}>`
    : '';
  if (image === '' && messages.html === '') return '';
  return `<div class="kratos-image">${image}${messages.html}</div>`;
}

/** An `a` node: a link when `href` is http(s) or relative, else its title as plain text. */
export function renderAnchorNode(node: UiNode, ctx: RenderContext): string {
  const attributes = attributesOf(node);
  const id = elementId(node, ctx, 'link');
  const messages = renderNodeMessages(messagesOf(node), id, ctx.options.translate);
  const href = attributes.href;
  const title = translateText(nodeLabelText(node), ctx.options.translate) || (typeof href === 'string' ? href : '');
  const link = isSafeHref(href)
    ? `<a class="kratos-link" id="${id}"${attr('href', href)}>${escapeHtml(title)}</a>`
    : `<span class="kratos-link kratos-link--unsafe" id="${id}">${escapeHtml(title)}</span>`;
  return `<p class="kratos-anchor">${link}</p>${messages.html}`;
}

/** A `script` node: an external script with the page's nonce; only absolute http(s) sources. */
export function renderScriptNode(node: UiNode, ctx: RenderContext): string {
  const attributes = attributesOf(node);
  const src = attributes.src;
  if (!isAbsoluteHttpUrl(src)) return '';
  return (
    `<script${attr('src', src)}${flag('async', attributes.async)}${attr('integrity', stringAttribute(attributes, 'integrity'))}` +
    `${attr('crossorigin', stringAttribute(attributes, 'crossorigin'))}` +
    `${attr('referrerpolicy', stringAttribute(attributes, 'referrerpolicy'))}${attr('type', stringAttribute(attributes, 'type'))}` +
    `${attr('id', stringAttribute(attributes, 'id'))}${attr('nonce', ctx.nonce)}></script>`
  );
}

/** A node of a type this renderer does not know: its label and messages, nothing else. */
export function renderUnknownNode(node: UiNode, ctx: RenderContext): string {
  const id = uniqueId(ctx, ctx.formGroup, nodeType(node) || 'node');
  const label = translateText(nodeLabelText(node), ctx.options.translate);
  const messages = renderNodeMessages(messagesOf(node), id, ctx.options.translate);
  if (label === '' && messages.html === '') return '';
  return `<div class="kratos-node kratos-node--unknown" id="${id}">${label ? `<p>${escapeHtml(label)}</p>` : ''}${messages.html}</div>`;
}
