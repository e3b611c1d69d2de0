import type { UiNode, UiText } from '@ory/kratos-client-fetch';
import type { FlowForm, FlowUrls, FlowViewData, PageKind } from './types';
import { createContext, type RenderContext } from './context';
import { escapeHtml, isSafeHref } from './escape';
import { attr } from './html';
import { RenderOptionsError } from './errors';
import { renderFormIn } from './form';
import { groupNodes } from './group-nodes';
import type { RenderLabels } from './labels';
import { renderFlowMessages } from './messages';
import { renderScriptNode } from './node-content';
import { hasTrigger } from './node-input';
import { nonceProblem, resolveRenderOptions, type RenderOptions, type ResolvedRenderOptions } from './options';
import { defaultStylesheet } from './stylesheet';
import { pageTitle } from './text';

const PAGE_KINDS = new Set<PageKind>(['login', 'registration', 'settings', 'recovery', 'verification', 'error']);

type LinkSpec = [keyof FlowUrls, keyof RenderLabels];

const PAGE_LINKS: Record<PageKind, LinkSpec[]> = {
  login: [
    ['registration', 'createAccount'],
    ['recovery', 'forgotPassword'],
    ['logout', 'signOut'],
  ],
  registration: [['login', 'signIn']],
  recovery: [['login', 'backToSignIn']],
  verification: [['login', 'backToSignIn']],
  settings: [
    ['home', 'backHome'],
    ['logout', 'signOut'],
  ],
  error: [
    ['home', 'backHome'],
    ['login', 'signIn'],
  ],
};

const REAUTHENTICATION_LINKS: LinkSpec[] = [['logout', 'signOut']];

function linksOf(kind: PageKind, flow: FlowViewData['flow']): LinkSpec[] {
  const login = (flow ?? {}) as { refresh?: unknown; requested_aal?: unknown };
  const reauthenticating = kind === 'login' && (login.refresh === true || login.requested_aal === 'aal2');
  return reauthenticating ? REAUTHENTICATION_LINKS : PAGE_LINKS[kind];
}

function renderLinks(kind: PageKind, view: FlowViewData, labels: Readonly<RenderLabels>): string {
  const urls: Partial<FlowUrls> | undefined = view.urls;
  const items = linksOf(kind, view.flow)
    .filter(([url]) => isSafeHref(urls?.[url]))
    .map(([url, label]) => `<li><a class="kratos-link kratos-link--${url}"${attr('href', urls?.[url])}>${escapeHtml(labels[label])}</a></li>`);
  return items.length === 0 ? '' : `<nav class="kratos-nav"><ul class="kratos-links">${items.join('')}</ul></nav>`;
}

function errorDetails(data: FlowViewData, labels: Readonly<RenderLabels>): string {
  const raw = (data.error as { error?: unknown } | undefined)?.error;
  const body = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const code = Number.isInteger(data.status) ? data.status : Number.isInteger(body.code) ? body.code : undefined;
  const statusText = typeof body.status === 'string' ? body.status : '';
  const line = (cls: string, value: unknown) =>
    typeof value === 'string' && value !== '' ? `<p class="${cls}">${escapeHtml(value)}</p>` : '';
  const status = [code === undefined ? labels.errorStatus : `${labels.errorStatus} ${code}`, statusText].filter(Boolean).join(' · ');
  return (
    `<section class="kratos-error"><p class="kratos-error-status">${escapeHtml(status)}</p>` +
    `${line('kratos-error-message', body.message)}${line('kratos-error-reason', body.reason)}</section>`
  );
}

function headElements(options: ResolvedRenderOptions, nonce: string | undefined): string {
  const inline = options.builtinStylesheet ? `<style${attr('nonce', nonce)}>${defaultStylesheet}</style>` : '';
  const linked = options.stylesheetUrl ? `<link rel="stylesheet"${attr('href', options.stylesheetUrl)}>` : '';
  return inline + linked;
}

interface PageParts {
  kind: PageKind;
  forms: FlowForm[];
  scripts: UiNode[];
  messages: UiText[];
}

function pageParts(data: FlowViewData): PageParts {
  const kind = PAGE_KINDS.has(data.kind) ? data.kind : 'error';
  const grouped = data.flow?.ui ? groupNodes(data.flow.ui) : undefined;
  return {
    kind,
    forms: Array.isArray(data.forms) ? data.forms : (grouped?.forms ?? []),
    scripts: Array.isArray(data.scripts) ? data.scripts : (grouped?.scripts ?? []),
    messages: Array.isArray(data.messages) ? data.messages : (grouped?.messages ?? []),
  };
}

function pageNonce(data: FlowViewData, options: ResolvedRenderOptions): string | undefined {
  if (options.nonce !== undefined) return options.nonce;
  const problem = nonceProblem(data.nonce, 'data.nonce');
  if (problem) throw new RenderOptionsError([problem]);
  return data.nonce;
}

function bodyScripts(parts: PageParts, ctx: RenderContext): string {
  const kratosScripts = parts.scripts.map((node) => renderScriptNode(node, ctx)).join('');
  const needsClient = parts.forms.some((form) => Array.isArray(form?.nodes) && form.nodes.some(hasTrigger));
  const client = needsClient ? `<script${attr('src', ctx.options.clientScriptUrl)} defer${attr('nonce', ctx.nonce)}></script>` : '';
  return kratosScripts + client;
}

function renderWith(data: FlowViewData, options: ResolvedRenderOptions): string {
  const view = (typeof data === 'object' && data !== null ? data : { kind: 'error' }) as FlowViewData;
  const parts = pageParts(view);
  const ctx = createContext(options, new Set(), pageNonce(view, options));
  const { labels, appName } = options;
  const title = typeof view.title === 'string' && view.title.trim() !== '' ? view.title : pageTitle(parts.kind, view.flow, labels);
  const showHeadings = parts.forms.length > 1 || parts.kind === 'settings';
  const forms = parts.forms.map((form) => renderFormIn(form, ctx, showHeadings)).join('');
  return (
    `<!DOCTYPE html><html lang="${escapeHtml(options.lang)}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">` +
    `<title>${escapeHtml(appName ? `${title} – ${appName}` : title)}</title>${headElements(options, ctx.nonce)}</head>` +
    `<body class="kratos-page kratos-page--${parts.kind}">` +
    `${appName ? `<header class="kratos-header"><span class="kratos-app-name">${escapeHtml(appName)}</span></header>` : ''}` +
    `<main class="kratos-main"><h1 class="kratos-title">${escapeHtml(title)}</h1>` +
    `${renderFlowMessages(parts.messages, options.translate)}${parts.kind === 'error' ? errorDetails(view, labels) : ''}` +
    `${forms}${renderLinks(parts.kind, view, labels)}</main>${bodyScripts(parts, ctx)}</body></html>`
  );
}

/**
 * Renders a complete, accessible HTML page for a flow (or the error page) from the view data the flow
 * routes build. No inline script; the inline `<style>` carries the nonce when one is given.
 *
 * @example
 * res.setHeader('Content-Type', 'text/html; charset=utf-8');
 * res.end(renderPage(data, { appName: 'Acme', nonce: res.locals.cspNonce }));
 */
export function renderPage(data: FlowViewData, options?: RenderOptions): string {
  return renderWith(data, resolveRenderOptions(options));
}

/**
 * Validates the options once and returns a page renderer (preferred in route factories).
 *
 * @example
 * const render = createRenderer({ appName: 'Acme' });
 * res.end(render(data));
 */
export function createRenderer(options?: RenderOptions): (data: FlowViewData, nonce?: string) => string {
  const resolved = resolveRenderOptions(options);
  return function renderKratosPage(data: FlowViewData, nonce?: string): string {
    return renderWith(nonce === undefined ? data : { ...data, nonce }, nonce === undefined ? resolved : { ...resolved, nonce: undefined });
  };
}
