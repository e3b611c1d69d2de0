import type { KratosEmulator } from '../../lib/emulator';
import { BROWSER, call, CookieJar, type Call } from './jar';

export type FlowKind = 'login' | 'registration' | 'settings' | 'recovery' | 'verification';

/** A browser: a cookie jar plus helpers that speak to the emulator like the reference UI does. */
export class Browser {
  readonly jar = new CookieJar();
  constructor(readonly kratos: KratosEmulator) {}

  get(path: string, headers: Record<string, string> = BROWSER): Promise<Call> {
    return call(`${this.kratos.publicUrl}${path}`, { jar: this.jar, headers });
  }

  /** Navigates to `/self-service/<kind>/browser`, follows the 303 to the UI and fetches the flow. */
  async startFlow(kind: FlowKind, query = ''): Promise<any> {
    const init = await this.get(`/self-service/${kind}/browser${query}`);
    if (init.status !== 303) throw new Error(`init ${kind} answered ${init.status}: ${init.text}`);
    const id = new URL(init.location!).searchParams.get('flow');
    if (!id) throw new Error(`init ${kind} redirected to ${init.location}`);
    return this.fetchFlow(kind, id);
  }

  async fetchFlow(kind: FlowKind, id: string): Promise<any> {
    const res = await this.get(`/self-service/${kind}/flows?id=${id}`, { accept: 'application/json' });
    if (res.status !== 200) throw new Error(`fetch ${kind} answered ${res.status}: ${res.text}`);
    return res.body;
  }

  /** Submits like an HTML form (urlencoded, browser Accept), not following the redirect. */
  submitForm(flow: any, fields: Record<string, string>): Promise<Call> {
    return call(flow.ui.action, { jar: this.jar, headers: BROWSER, form: { csrf_token: csrfOf(flow), ...fields } });
  }

  /** Submits like a SPA (JSON body and Accept). */
  submitJson(flow: any, fields: Record<string, unknown>): Promise<Call> {
    return call(flow.ui.action, { jar: this.jar, json: { csrf_token: csrfOf(flow), ...fields } });
  }

  whoami(): Promise<Call> {
    return this.get('/sessions/whoami', { accept: 'application/json' });
  }

  /** Creates an identity with a password and logs this browser in through a login flow. */
  async login(identifier: string, password: string): Promise<Call> {
    const flow = await this.startFlow('login');
    return this.submitForm(flow, { method: 'password', identifier, password });
  }
}

export const csrfOf = (flow: any): string => flow.ui.nodes.find((n: any) => n.attributes.name === 'csrf_token')?.attributes.value ?? '';

export const nodeNames = (flow: any): string[] => flow.ui.nodes.map((n: any) => `${n.group}:${n.attributes.name ?? n.attributes.id}`);

export const node = (flow: any, name: string): any => flow.ui.nodes.find((n: any) => n.attributes.name === name || n.attributes.id === name);

export const messageIds = (flow: any): number[] => (flow.ui.messages ?? []).map((m: any) => m.id);

export const flowIdOf = (location: string | null): string => new URL(location!).searchParams.get('flow')!;
