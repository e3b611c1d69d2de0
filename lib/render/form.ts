import type { FlowForm } from './types';
import { createContext, uniqueId, type RenderContext } from './context';
import { escapeHtml, isSafeHref } from './escape';
import { attr } from './html';
import { groupTitle } from './labels';
import { renderNodeIn } from './node';
import { resolveRenderOptions, type RenderOptions } from './options';
import { RenderOptionsError } from './errors';

export interface FormRenderOptions extends RenderOptions {
  /** Show the group heading ("Password", "Authenticator app", ...) above the form. Default `true`. */
  heading?: boolean;
  /** Ids already used in the page; pass the same set to every call to keep ids unique. */
  usedIds?: Set<string>;
}

function formMethod(method: unknown): string {
  return typeof method === 'string' && /^(get|post)$/i.test(method) ? method.toUpperCase() : 'POST';
}

export function renderFormIn(form: FlowForm, ctx: RenderContext, heading: boolean): string {
  const group = typeof form?.group === 'string' && form.group !== '' ? form.group : 'default';
  const nodes = Array.isArray(form?.nodes) ? form.nodes : [];
  const formCtx: RenderContext = { ...ctx, formGroup: group };
  const showHeading = heading && group !== 'default';
  const headingId = showHeading ? uniqueId(ctx, group, 'heading') : undefined;
  const action = isSafeHref(form?.action) ? form.action : undefined;
  const body = nodes.map((node) => renderNodeIn(node, formCtx)).join('');
  const groupClass = group.replace(/[^A-Za-z0-9_-]/g, '');
  return (
    `<section class="kratos-method kratos-method--${groupClass}"${attr('aria-labelledby', headingId)}>` +
    `${headingId ? `<h2 class="kratos-method-heading" id="${headingId}">${escapeHtml(groupTitle(group, ctx.options.labels))}</h2>` : ''}` +
    `<form class="kratos-form"${attr('action', action)} method="${formMethod(form?.method)}">${body}</form></section>`
  );
}

/**
 * Renders one method form: its heading and a `<form action method>` posting straight to Kratos with every
 * node of the form.
 *
 * @example
 * forms.map((form) => renderForm(form, { usedIds })).join('')
 */
export function renderForm(form: FlowForm, options: FormRenderOptions = {}): string {
  if (typeof options !== 'object' || options === null) return renderFormIn(form, createContext(resolveRenderOptions(options)), true);
  const { heading, usedIds, ...render } = options;
  const problems: string[] = [];
  if (heading !== undefined && typeof heading !== 'boolean') problems.push(`heading: ${String(heading)} is not a boolean. Use true or false.`);
  if (usedIds !== undefined && !(usedIds instanceof Set)) problems.push('usedIds: not a Set. Pass new Set() and reuse it for every form of the page.');
  if (problems.length > 0) throw new RenderOptionsError(problems);
  return renderFormIn(form, createContext(resolveRenderOptions(render), usedIds), heading !== false);
}
