import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KratosOptions } from '../kratos/config';
import type { FlowType, FlowViewData } from '../render/types';
import type { RenderLabels } from '../render/labels';
import type { UiText } from '@ory/kratos-client-fetch';

/** Every page the flow routes can serve. */
export type FlowRouteName = FlowType | 'error' | 'logout';

/** A route's path relative to the mount point (`'/login'`), or `false` to leave it out. */
export type FlowRoutePaths = Partial<Record<FlowRouteName, string | false>>;

/** Renders a page yourself; `data.status` is the status to send. May be async. */
export type FlowRenderFunction = (req: IncomingMessage, res: ServerResponse, data: FlowViewData) => void | Promise<void>;

/** Called with the view data before each page is rendered (add app data, log, or answer yourself). */
export type FlowHook = (req: IncomingMessage, res: ServerResponse, data: FlowViewData) => void | Promise<void>;

/** Options of `flowRoutes()` besides the Kratos options. Every field is optional. */
export interface FlowRouteOptions {
  /** Path of each page relative to the mount point, or `false`. Defaults: `/login`, `/registration`, `/settings`, `/recovery`, `/verification`, `/error`, `/logout`. */
  routes?: FlowRoutePaths;
  /**
   * How pages are rendered: left out = the built-in renderer; a view name = `res.render(view, data)`
   * (Express); a function = full control.
   */
  render?: string | FlowRenderFunction;
  /** Hook called with the view data before rendering. If it answers the request, nothing is rendered. */
  onFlow?: FlowHook;
  /** CSP nonce of the request. Default: `res.locals.cspNonce` when set. */
  nonce?: (req: IncomingMessage, res: ServerResponse) => string | undefined;
  /** Where "back to the app" goes when a flow has no `return_to`, and where logout without a session ends. Default `/`. */
  home?: string;
  /** Built-in renderer: name of the app, shown in the header and `<title>`. */
  appName?: string;
  /** Built-in renderer: `lang` of the document. Default `en`. */
  lang?: string;
  /** Built-in renderer: URL of the app's stylesheet, or `false` to drop the built-in CSS. */
  stylesheet?: string | false;
  /** Built-in renderer: whether the built-in CSS is inlined. Default `true`. */
  builtinStylesheet?: boolean;
  /** Built-in renderer: translates Kratos' texts by `id`. */
  messages?: (text: UiText) => string;
  /** Built-in renderer: overrides of the built-in strings. */
  labels?: Partial<RenderLabels>;
}

/** Options of the standalone `flowRoutes()`: the Kratos options plus the route options. */
export interface FlowRoutesOptions extends KratosOptions, FlowRouteOptions {}

/** Query parameters of `redirectToFlow`, validated like the ones of the flow routes. */
export interface FlowStartParams {
  returnTo?: string;
  /** Login only. */
  refresh?: boolean;
  /** Login only. */
  aal?: 'aal1' | 'aal2';
  /** Login and registration. */
  loginChallenge?: string;
  /** Login and registration. */
  organization?: string;
  /** Login only. */
  via?: string;
  /** Registration only. */
  afterVerificationReturnTo?: string;
}
