/** One parsed entry of `allowedReturnUrls`. */
export interface ReturnUrlRule {
  readonly source: string;
  readonly protocol: string;
  /** Lower-case, punycode host name; for `*.example.com` this is `example.com` with `wildcard` set. */
  readonly hostname: string;
  readonly wildcard: boolean;
  readonly port: string;
  /** Path prefix; `''` matches every path. */
  readonly path: string;
}

const WILDCARD_LABEL = 'wildcard-label-0';

/**
 * Parses an allow-list entry: an origin (`https://app.example.com`), a URL prefix
 * (`https://app.example.com/app/`) or a sub-domain wildcard (`https://*.example.com/`). Returns the rule,
 * or the text of the problem for the configuration error.
 */
export function parseAllowedReturnUrl(entry: unknown): ReturnUrlRule | string {
  const fix = "Use an origin or URL prefix such as 'https://app.example.com' or 'https://*.example.com/'.";
  if (typeof entry !== 'string' || !/^https?:\/\/[^\s\\]+$/i.test(entry)) return `is not an http(s) URL. ${fix}`;
  const wildcard = /^https?:\/\/\*\./i.test(entry);
  let url: URL;
  try {
    url = new URL(wildcard ? entry.replace('*.', `${WILDCARD_LABEL}.`) : entry);
  } catch {
    return `is not a valid URL. ${fix}`;
  }
  if (url.username || url.password || url.search || url.hash) return `must not contain credentials, a query or a fragment. ${fix}`;
  if (url.hostname.includes('*')) return `may only use a wildcard as the first label ("*.example.com"). ${fix}`;
  const hostname = wildcard ? url.hostname.slice(WILDCARD_LABEL.length + 1) : url.hostname;
  if (wildcard && hostname.split('.').filter(Boolean).length < 2) return `allows every sub-domain of a top-level domain. Name your own domain, e.g. 'https://*.example.com/'.`;
  const path = url.pathname === '/' ? '' : url.pathname;
  return { source: entry, protocol: url.protocol, hostname, wildcard, port: url.port, path };
}

/** Whether the parsed absolute URL matches the rule (scheme, host or `*.` suffix, port, path prefix on segment boundaries). */
export function matchesReturnUrlRule(url: URL, rule: ReturnUrlRule): boolean {
  if (url.protocol !== rule.protocol || url.port !== rule.port) return false;
  if (rule.wildcard ? !url.hostname.endsWith(`.${rule.hostname}`) : url.hostname !== rule.hostname) return false;
  if (!rule.path) return true;
  if (rule.path.endsWith('/')) return url.pathname.startsWith(rule.path);
  return url.pathname === rule.path || url.pathname.startsWith(`${rule.path}/`);
}
