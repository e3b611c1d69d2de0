import { unknownOptionProblems } from '../kratos/config';
import { describeValue as describe } from '../kratos/config';
import { RenderOptionsError } from '../render/errors';
import { createRenderer } from '../render/page';
import { defaultLabels, type RenderLabels } from '../render/labels';
import type { RenderOptions } from '../render/options';
import type { FlowViewData } from '../render/types';
import { SCRIPT_VERSION } from './script';
import type { FlowHook, FlowRenderFunction, FlowRouteName, FlowRouteOptions } from './types';

export const FLOW_ROUTE_OPTION_NAMES: readonly string[] = [
  'routes', 'render', 'onFlow', 'nonce', 'home', 'appName', 'lang', 'stylesheet', 'builtinStylesheet', 'messages', 'labels',
];
const RENDER_OPTION_NAMES = ['appName', 'lang', 'stylesheet', 'builtinStylesheet', 'messages', 'labels'] as const;

export const ROUTE_NAMES: readonly FlowRouteName[] = ['login', 'registration', 'settings', 'recovery', 'verification', 'error', 'logout'];
export const CLIENT_SCRIPT_ROUTE = '/kratos-express.js';
const ROUTE_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
const VIEW_NAME = /^[^\0\r\n]{1,256}$/;

export type Renderer = (data: FlowViewData, nonce?: string) => string;

/** The validated, precomputed form of {@link FlowRouteOptions}. */
export interface ResolvedFlowOptions {
  /** Route path (relative to the mount point) => page. */
  readonly byPath: ReadonlyMap<string, FlowRouteName>;
  /** Page => route path, for the enabled pages. */
  readonly paths: Readonly<Partial<Record<FlowRouteName, string>>>;
  readonly view?: string;
  readonly renderFunction?: FlowRenderFunction;
  /** Built-in renderer for each route path (the client script URL is relative to the page). */
  readonly renderers: ReadonlyMap<string, Renderer>;
  readonly onFlow?: FlowHook;
  readonly nonce?: FlowRouteOptions['nonce'];
  readonly home: string;
  /** Built-in strings (titles) merged with `labels`. */
  readonly labels: Readonly<RenderLabels>;
}

function routeProblems(routes: unknown, problems: string[]): Partial<Record<FlowRouteName, string>> {
  const paths: Partial<Record<FlowRouteName, string>> = {};
  for (const name of ROUTE_NAMES) paths[name] = `/${name}`;
  if (routes === undefined) return paths;
  if (routes === null || typeof routes !== 'object' || Array.isArray(routes)) {
    problems.push(`routes: ${describe(routes)} is not an object. Use for example { login: '/sign-in', registration: false }.`);
    return paths;
  }
  for (const problem of unknownOptionProblems(routes, ROUTE_NAMES)) problems.push(`routes.${problem}`);
  for (const name of ROUTE_NAMES) {
    const value = (routes as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (value === false) {
      delete paths[name];
    } else if (typeof value !== 'string' || !ROUTE_PATH.test(value) || /\/\/|\/\.\.?(\/|$)/.test(value) || (value.length > 1 && value.endsWith('/'))) {
      problems.push(`routes.${name}: ${describe(value)} is not a route path. Use a path such as '/${name}' (starting with "/", no query, no trailing slash) or false to leave the page out.`);
    } else {
      paths[name] = value;
    }
  }
  const seen = new Map<string, string>();
  for (const [name, path] of Object.entries(paths)) {
    if (path === CLIENT_SCRIPT_ROUTE) problems.push(`routes.${name}: ${describe(path)} is where the client script is served. Choose another path.`);
    const other = seen.get(path);
    if (other) problems.push(`routes.${name}: ${describe(path)} is also the path of routes.${other}. Give each page its own path.`);
    seen.set(path, name);
  }
  return paths;
}

function homeProblem(home: unknown): string | undefined {
  if (home === undefined) return undefined;
  if (typeof home === 'string' && /^\/(?![/\\])[^\s\\]*$/.test(home)) return undefined;
  if (typeof home === 'string' && /^https?:\/\/[^\s\\/@]+(\/[^\s\\]*)?$/i.test(home)) return undefined;
  return `home: ${describe(home)} is neither a path starting with "/" nor an http(s) URL. Use for example '/' or '/dashboard'.`;
}

/** `'kratos-express.js'` relative to a page at `path` (`/login` => `kratos-express.js`, `/a/b` => `../kratos-express.js`). */
export function relativeScriptUrl(path: string): string {
  const depth = path.split('/').length - 2;
  return `${'../'.repeat(Math.max(depth, 0))}${CLIENT_SCRIPT_ROUTE.slice(1)}?v=${SCRIPT_VERSION}`;
}

/**
 * Validates the route options and returns the problems (each naming the option, the value and the fix)
 * together with the resolved options when there are none.
 */
export function checkFlowRouteOptions(options: FlowRouteOptions): {
  resolved?: ResolvedFlowOptions;
  problems: string[];
} {
  const problems: string[] = [];
  const paths = routeProblems(options.routes, problems);
  const { render, onFlow, nonce, home } = options;
  if (render !== undefined && typeof render !== 'function' && !(typeof render === 'string' && VIEW_NAME.test(render))) {
    problems.push(`render: ${describe(render)} is neither a view name nor a function. Use a view name such as 'kratos/page' (rendered with res.render) or (req, res, data) => { ... }, or leave it out for the built-in renderer.`);
  }
  if (onFlow !== undefined && typeof onFlow !== 'function') problems.push(`onFlow: ${describe(onFlow)} is not a function. Use (req, res, data) => { ... }.`);
  if (nonce !== undefined && typeof nonce !== 'function') {
    problems.push(`nonce: ${describe(nonce)} is not a function. Use (req, res) => res.locals.cspNonce; a fixed nonce would defeat the Content-Security-Policy.`);
  }
  const homeIssue = homeProblem(home);
  if (homeIssue) problems.push(homeIssue);

  const renderOptions: RenderOptions = {};
  for (const name of RENDER_OPTION_NAMES) if (options[name] !== undefined) (renderOptions as Record<string, unknown>)[name] = options[name];
  const renderers = new Map<string, Renderer>();
  try {
    for (const path of Object.values(paths)) {
      if (!renderers.has(path)) renderers.set(path, createRenderer({ ...renderOptions, clientScriptUrl: relativeScriptUrl(path) }));
    }
  } catch (err) {
    if (!(err instanceof RenderOptionsError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length > 0) return { problems };

  const byPath = new Map<string, FlowRouteName>();
  for (const [name, path] of Object.entries(paths) as [FlowRouteName, string][]) byPath.set(path, name);
  return {
    problems,
    resolved: {
      byPath,
      paths,
      view: typeof render === 'string' ? render : undefined,
      renderFunction: typeof render === 'function' ? render : undefined,
      renderers,
      onFlow,
      nonce,
      home: home ?? '/',
      labels: Object.freeze({ ...defaultLabels, ...(options.labels ?? {}) }),
    },
  };
}
