/** A minimal cookie jar for fetch: remembers Set-Cookie values (Max-Age=0 deletes) and replays them. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

export interface Call {
  status: number;
  headers: Headers;
  location: string | null;
  body: any;
  text: string;
  setCookies: string[];
}

/** fetch without following redirects, with the jar's cookies; JSON bodies are parsed. */
export async function call(url: string, init: RequestInit & { jar?: CookieJar; json?: unknown; form?: Record<string, string> } = {}): Promise<Call> {
  const headers = new Headers(init.headers);
  if (init.jar && init.jar.cookies.size > 0) headers.set('cookie', init.jar.header());
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    if (!headers.has('accept')) headers.set('accept', 'application/json');
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers.set('content-type', 'application/x-www-form-urlencoded');
    body = new URLSearchParams(init.form).toString();
  }
  const method = init.method ?? (body !== undefined ? 'POST' : 'GET');
  const res = await fetch(url, { ...init, method, headers, body, redirect: 'manual' });
  init.jar?.store(res);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, location: res.headers.get('location'), body: parsed, text, setCookies: res.headers.getSetCookie() };
}

export const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
export const JSON_ACCEPT = { accept: 'application/json' };
