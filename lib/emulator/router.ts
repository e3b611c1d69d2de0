import type { Ctx } from './ctx';

export type Handler = (ctx: Ctx, params: Record<string, string>) => void | Promise<void>;

export interface Route {
  /** HTTP methods, or '*' for any. */
  methods: readonly string[] | '*';
  /** OpenAPI path template, e.g. `/admin/identities/{id}`. */
  path: string;
  handler: Handler;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  keys: string[];
}

export interface RouteMatch {
  route?: CompiledRoute;
  params: Record<string, string>;
  /** The path exists but not for this method. */
  methodNotAllowed: boolean;
}

/** A tiny exact router over OpenAPI path templates (static segments win over parameters, like httprouter). */
export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(methods: readonly string[] | '*', path: string, handler: Handler): this {
    const keys: string[] = [];
    const regex = new RegExp(
      '^' +
        path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, k: string) => {
          keys.push(k);
          return '([^/]+)';
        }) +
        '$',
    );
    this.routes.push({ methods, path, handler, regex, keys });
    this.routes.sort((a, b) => a.keys.length - b.keys.length);
    return this;
  }

  match(method: string, pathname: string): RouteMatch {
    let methodNotAllowed = false;
    for (const route of this.routes) {
      const m = route.regex.exec(pathname);
      if (!m) continue;
      if (route.methods !== '*' && !route.methods.includes(method) && !(method === 'HEAD' && route.methods.includes('GET'))) {
        methodNotAllowed = true;
        continue;
      }
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => {
        try {
          params[k] = decodeURIComponent(m[i + 1]);
        } catch {
          params[k] = m[i + 1];
        }
      });
      return { route, params, methodNotAllowed: false };
    }
    return { params: {}, methodNotAllowed };
  }
}
