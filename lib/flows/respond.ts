import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FlowError, Session } from '@ory/kratos-client-fetch';
import { KratosConfigError } from '../kratos/config';
import { groupNodes } from '../render/group-nodes';
import { pageTitle } from '../render/text';
import type { AnyFlow, FlowUrls, FlowViewData, PageKind } from '../render/types';
import type { ResolvedFlowOptions } from './options';

/** What Express (or Connect) adds to a request and a response; read only when present. */
export interface MountedRequest extends IncomingMessage {
  baseUrl?: string;
  originalUrl?: string;
}
interface ExpressLikeResponse extends ServerResponse {
  locals?: Record<string, unknown>;
  render?: (view: string, data: object, callback: (err: Error | null, html?: string) => void) => void;
}

/** One request to one of the flow pages. */
export interface PageRequest {
  req: MountedRequest;
  res: ServerResponse;
  /** Mount path of the routes (`''` at the root, `/auth` under `app.use('/auth', ...)`). */
  mount: string;
  /** Path of the requested page relative to the mount point (`/login`). */
  routePath: string;
  query: URLSearchParams;
}

function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** The mount path of the routes: Express' `req.baseUrl`, else what Connect stripped from `req.url`. */
export function mountPath(req: MountedRequest): string {
  let mount = '';
  if (typeof req.baseUrl === 'string') mount = req.baseUrl;
  else if (typeof req.originalUrl === 'string') {
    const original = pathOf(req.originalUrl);
    const own = pathOf(req.url ?? '/');
    if (original.endsWith(own)) mount = original.slice(0, original.length - own.length);
  }
  return mount.replace(/\\/g, '/').replace(/^\/+/, '/').replace(/\/+$/, '');
}

/** Sends a 303 (the browser continues with GET) to `location`. */
export function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'private, no-store');
  if (cookies.length > 0) res.appendHeader('Set-Cookie', cookies);
  res.end();
}

/** The links between the pages, joined with the mount path. */
export function pageUrls(page: PageRequest, options: ResolvedFlowOptions, home: string | undefined, withLogout: boolean): FlowUrls {
  const urls: FlowUrls = { home: home ?? options.home };
  for (const name of ['login', 'registration', 'settings', 'recovery', 'verification'] as const) {
    const path = options.paths[name];
    if (path) urls[name] = page.mount + path;
  }
  if (withLogout && options.paths.logout) urls.logout = page.mount + options.paths.logout;
  return urls;
}

export interface ViewInput {
  kind: PageKind;
  status: number;
  urls: FlowUrls;
  flow?: AnyFlow;
  session?: Session;
  error?: FlowError;
}

/** The data every view receives (the built-in renderer, `res.render` and render functions alike). */
export function viewData(input: ViewInput, options: ResolvedFlowOptions): FlowViewData {
  const grouped = input.flow ? groupNodes(input.flow.ui) : { nodesByGroup: {}, forms: [], scripts: [], messages: [] };
  const data: FlowViewData = {
    kind: input.kind,
    title: pageTitle(input.kind, input.flow, options.labels),
    nodesByGroup: grouped.nodesByGroup,
    forms: grouped.forms,
    scripts: grouped.scripts,
    messages: grouped.messages,
    urls: input.urls,
    status: input.status,
  };
  if (input.flow) data.flow = input.flow;
  if (input.session) data.session = input.session;
  if (input.error) data.error = input.error;
  return data;
}

function nonceOf(req: IncomingMessage, res: ExpressLikeResponse, options: ResolvedFlowOptions): string | undefined {
  const nonce = options.nonce ? options.nonce(req, res) : res.locals?.cspNonce;
  return typeof nonce === 'string' && nonce !== '' ? nonce : undefined;
}

function renderView(res: ExpressLikeResponse, view: string, data: FlowViewData): Promise<string> {
  if (typeof res.render !== 'function') {
    throw new KratosConfigError([
      `render: ${JSON.stringify(view)} is a view name but res.render is missing. View names work on Express with a view engine (app.set('view engine', 'ejs')); on Connect or plain http pass a function (req, res, data) => { ... } or leave render out.`,
    ]);
  }
  return new Promise((resolve, reject) => res.render!(view, data, (err, html) => (err ? reject(err) : resolve(html ?? ''))));
}

/**
 * Runs `onFlow`, then renders the page with the configured renderer, as `text/html; charset=utf-8` with
 * `Cache-Control: private, no-store` and `data.status`. Extra `cookies` are set on the response.
 */
export async function sendPage(page: PageRequest, data: FlowViewData, options: ResolvedFlowOptions, cookies: string[] = []): Promise<void> {
  const { req } = page;
  const res = page.res as ExpressLikeResponse;
  const nonce = nonceOf(req, res, options);
  if (nonce !== undefined) data.nonce = nonce;
  if (options.onFlow) {
    await options.onFlow(req, res, data);
    if (res.headersSent || res.writableEnded) return;
  }
  res.statusCode = data.status;
  res.setHeader('Cache-Control', 'private, no-store');
  if (cookies.length > 0) res.appendHeader('Set-Cookie', cookies);
  if (options.renderFunction) {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    await options.renderFunction(req, res, data);
    return;
  }
  const html = options.view ? await renderView(res, options.view, data) : options.renderers.get(page.routePath)!(data, nonce);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  res.end(req.method === 'HEAD' ? undefined : html);
}
