import { errReturnToForbidden, KratosError } from './errors';

interface AllowedUrl {
  protocol: string;
  hostname: string;
  port: string;
  wildcard: boolean;
  path: string;
}

function toAllowed(raw: string): AllowedUrl | undefined {
  let u: URL;
  try {
    u = new URL(raw.replace('://*.', '://wildcard-placeholder.'));
  } catch {
    return undefined;
  }
  const wildcard = raw.includes('://*.');
  const hostname = wildcard ? u.hostname.replace(/^wildcard-placeholder\./, '') : u.hostname;
  if (raw.includes('://*/') || raw.endsWith('://*')) return undefined;
  if (wildcard && !hostname.includes('.')) return undefined;
  const path = u.pathname === '/' && !/:\/\/[^/]+\/$/.test(raw) ? '' : u.pathname;
  return { protocol: u.protocol, hostname, port: u.port, wildcard, path };
}

/** Kratos' return_to allow-list (§6.8): scheme, host (or `*.` suffix) and path prefix of an allowed URL or `{public}self-service`. */
export class ReturnToPolicy {
  private readonly allowed: AllowedUrl[];

  constructor(allowedUrls: string[], private readonly baseUrl: string, private readonly defaultReturnUrl: string) {
    this.allowed = [...allowedUrls, `${baseUrl}self-service`].map(toAllowed).filter((a): a is AllowedUrl => a !== undefined);
  }

  /** The absolute URL for an allowed return_to; throws the Kratos 400 otherwise. */
  check(returnTo: string): string {
    let u: URL;
    try {
      u = new URL(returnTo, this.defaultReturnUrl);
    } catch {
      throw new KratosError(400, { reason: 'Unable to parse the return_to query parameter as an URL' });
    }
    const ok = this.allowed.some((a) => {
      if (a.protocol !== u.protocol || a.port !== u.port) return false;
      const hostOk = a.wildcard ? u.hostname.endsWith('.' + a.hostname) : u.hostname === a.hostname;
      return hostOk && u.pathname.startsWith(a.path);
    });
    if (!ok) throw errReturnToForbidden(u.toString());
    return u.toString();
  }

  /** Like check(), but undefined/empty means "not requested". */
  optional(returnTo: string | null | undefined): string | undefined {
    return returnTo ? this.check(returnTo) : undefined;
  }
}
