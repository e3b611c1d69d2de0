/*
 * Open-redirect attempts, shared by every test that feeds a return target to the kit. Each entry is one
 * value an attacker puts where a `return_to` is read. `stays` is set for the few values that are harmless
 * paths of the app itself: what they must resolve to on `http://app.test` (the origin the tests use).
 * Every other entry must be refused (dropped, or a 400 where the kit answers one).
 */

/** The origin the tests' requests claim (`Host: app.test` over plain http). */
export const APP_ORIGIN = 'http://app.test';

export interface HostileReturnUrl {
  name: string;
  value: string;
  /** The URL a harmless value resolves to on {@link APP_ORIGIN}; absent: the value must be refused. */
  stays?: string;
}

const ATTACKER = 'evil.com';

export const HOSTILE_RETURN_URLS: readonly HostileReturnUrl[] = [
  // Absolute URLs elsewhere.
  { name: 'an absolute https URL elsewhere', value: `https://${ATTACKER}/` },
  { name: 'an absolute http URL elsewhere', value: `http://${ATTACKER}` },
  { name: 'a foreign URL naming the app in its path', value: `https://${ATTACKER}/http://app.test/` },
  { name: 'the app host as a sub-domain of the attacker', value: `http://app.test.${ATTACKER}/` },
  { name: 'the app host as a path of the attacker', value: `http://${ATTACKER}/app.test` },
  { name: 'the app host with a trailing dot', value: 'http://app.test./' },
  // Protocol-relative and slash tricks.
  { name: 'a protocol-relative URL', value: `//${ATTACKER}` },
  { name: 'a protocol-relative URL with a path', value: `//${ATTACKER}/%2F..` },
  { name: 'three slashes', value: `///${ATTACKER}` },
  { name: 'four slashes', value: `////${ATTACKER}` },
  { name: 'slash backslash', value: `/\\${ATTACKER}` },
  { name: 'two backslashes', value: `\\\\${ATTACKER}` },
  { name: 'backslash slash', value: `\\/${ATTACKER}` },
  { name: 'slash backslash slash', value: `/\\/${ATTACKER}` },
  { name: 'a protocol-relative URL with user-info', value: `//app.test@${ATTACKER}` },
  { name: 'a dot-dot segment leading to two slashes', value: `/..//${ATTACKER}` },
  // Percent-encoded slashes and backslashes.
  { name: 'encoded slashes after a slash', value: `/%2F%2F${ATTACKER}` },
  { name: 'lower-case encoded slash and backslash', value: `/%2f%5c${ATTACKER}` },
  { name: 'an encoded backslash after a slash', value: `/%5C${ATTACKER}` },
  { name: 'encoded slashes without a leading slash', value: `%2f%2f${ATTACKER}` },
  { name: 'an encoded slash and backslash without a leading slash', value: `%2F%5C${ATTACKER}` },
  { name: 'an encoded scheme', value: `https%3A%2F%2F${ATTACKER}` },
  { name: 'encoded slashes behind a dot segment', value: `/%2e/%2F%2F${ATTACKER}` },
  { name: 'encoded slashes behind an encoded dot-dot segment', value: `/%2e%2e/%2f%2f${ATTACKER}` },
  { name: 'an encoded backslash behind a dot segment', value: `/./%5c${ATTACKER}` },
  { name: 'double-encoded slashes', value: `/%252F%252F${ATTACKER}`, stays: `${APP_ORIGIN}/%252F%252F${ATTACKER}` },
  // Schemes a browser would run or render.
  { name: 'javascript:', value: 'javascript:alert(document.domain)' },
  { name: 'javascript: in mixed case', value: 'JaVaScRiPt:alert(1)' },
  { name: 'javascript: with a tab in the scheme', value: 'java\tscript:alert(1)' },
  { name: 'javascript: with a newline in the scheme', value: 'java\nscript:alert(1)' },
  { name: 'javascript: behind a leading space', value: ' javascript:alert(1)' },
  { name: 'javascript: behind a control character', value: '\x01javascript:alert(1)' },
  { name: 'javascript: with an authority naming the app', value: 'javascript://app.test/%0aalert(1)' },
  { name: 'data: HTML', value: 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==' },
  { name: 'vbscript:', value: 'vbscript:msgbox(1)' },
  { name: 'file:', value: 'file:///etc/passwd' },
  { name: 'ftp: on the app host', value: 'ftp://app.test/' },
  { name: 'blob: of the app origin', value: 'blob:http://app.test/5e2c0c6e-1111-4000-8000-000000000000' },
  // Scheme-relative forms that browsers complete with the current scheme.
  { name: 'a scheme without slashes', value: `https:${ATTACKER}` },
  { name: 'a scheme with one slash', value: `http:/${ATTACKER}` },
  { name: 'a scheme with slash backslash', value: `http:/\\${ATTACKER}` },
  { name: 'a scheme with two backslashes', value: `http:\\\\${ATTACKER}` },
  // User-info, fragments and backslashes around @.
  { name: 'the app as user-info of the attacker', value: `https://app.test@${ATTACKER}` },
  { name: 'the app with a port as user-info', value: `http://app.test:80@${ATTACKER}/` },
  { name: 'the attacker as user-info of the app', value: `http://${ATTACKER}@app.test/` },
  { name: 'the app in the fragment after @', value: `https://${ATTACKER}#@app.test` },
  { name: 'the app in the query after @', value: `https://${ATTACKER}?@app.test/` },
  { name: 'a backslash before @app', value: `http://${ATTACKER}\\@app.test` },
  { name: 'a backslash before @attacker', value: `http://app.test\\@${ATTACKER}` },
  { name: 'an encoded slash in the user-info', value: `http://app.test%2f@${ATTACKER}` },
  { name: 'an encoded slash in the host', value: `http://${ATTACKER}%2fapp.test/` },
  { name: 'a fragment after @ on the app itself', value: `http://app.test/#@${ATTACKER}`, stays: `${APP_ORIGIN}/#@${ATTACKER}` },
  // Unicode look-alikes.
  { name: 'an ideographic full stop in the host', value: 'http://evil\u3002com/' },
  { name: 'a full-width dot joining the app host to the attacker', value: `http://app.test\uff0e${ATTACKER}/` },
  { name: 'full-width slashes', value: `\uff0f\uff0f${ATTACKER}` },
  { name: 'a full-width slash after a slash', value: `/\uff0f${ATTACKER}`, stays: `${APP_ORIGIN}/%EF%BC%8F${ATTACKER}` },
  { name: 'an IDN homograph of the app (Cyrillic a)', value: 'http://\u0430pp.test/' },
  { name: 'an IDN homograph of the app (Cyrillic e)', value: 'http://app.t\u0435st/' },
  { name: 'an ideographic space before two slashes', value: `\u3000//${ATTACKER}` },
  // IP literals.
  { name: 'an IPv4 literal', value: 'http://127.0.0.1/' },
  { name: 'a decimal IPv4', value: 'http://2130706433/' },
  { name: 'an octal IPv4', value: 'http://0177.0.0.1/' },
  { name: 'a hexadecimal IPv4', value: 'http://0x7f.1/' },
  { name: 'an IPv6 literal', value: 'http://[::1]/' },
  { name: 'an IPv4-mapped IPv6 literal', value: 'http://[::ffff:127.0.0.1]/' },
  // Ports and schemes of the app's own host.
  { name: 'another port of the app host', value: 'http://app.test:8080/' },
  { name: 'an out-of-range port', value: 'http://app.test:65536/' },
  { name: 'the other scheme of the app host', value: 'https://app.test/' },
  { name: "the app's default port spelled out", value: 'http://app.test:80/ok', stays: `${APP_ORIGIN}/ok` },
  { name: 'the app origin in upper case', value: 'HTTP://APP.TEST/Dashboard', stays: `${APP_ORIGIN}/Dashboard` },
  // Length, line breaks, NUL, whitespace.
  { name: 'an over-long path (over 2 KB)', value: `/${'a'.repeat(2100)}` },
  { name: 'an over-long absolute URL of the app', value: `${APP_ORIGIN}/${'b'.repeat(3000)}` },
  { name: 'CR/LF injecting a header', value: '/x\r\nSet-Cookie: injected=1' },
  { name: 'encoded CR/LF injecting a header', value: '/x%0d%0aSet-Cookie:%20injected=1' },
  { name: 'encoded CR/LF injecting a Location', value: `${APP_ORIGIN}/%0D%0ALocation:%20https://${ATTACKER}` },
  { name: 'a lone encoded LF', value: '/x%0aX-Injected:1' },
  { name: 'look-alikes of CR/LF (U+560A U+560D)', value: '/x\u560a\u560dSet-Cookie:injected=1', stays: `${APP_ORIGIN}/x%E5%98%8A%E5%98%8DSet-Cookie:injected=1` },
  { name: 'a NUL byte', value: '/x\0' },
  { name: 'an encoded NUL byte', value: '/x%00' },
  { name: 'an encoded NUL in the host', value: `http://app.test%00.${ATTACKER}/` },
  { name: 'a leading space', value: ' /dashboard' },
  { name: 'a leading tab before two slashes', value: `\t//${ATTACKER}` },
  { name: 'a tab between two slashes', value: `/\t/${ATTACKER}` },
  { name: 'an encoded tab between two slashes', value: `/%09/${ATTACKER}` },
  { name: 'a trailing newline', value: '/dashboard\n' },
];

/** Values an allow-list makes acceptable (with `allowedReturnUrls: [APP_ORIGIN, PARTNER]`), and look-alikes it must not. */
export const PARTNER = 'https://partner.test';
export const ALLOW_LIST_CASES: readonly HostileReturnUrl[] = [
  { name: 'a page of the allowed partner', value: `${PARTNER}/welcome`, stays: `${PARTNER}/welcome` },
  { name: 'the allowed partner over http', value: 'http://partner.test/welcome' },
  { name: 'a sub-domain of the allowed partner', value: 'https://x.partner.test/' },
  { name: 'the allowed partner as a sub-domain of the attacker', value: `https://partner.test.${ATTACKER}/` },
  { name: 'the allowed partner as user-info', value: `https://partner.test@${ATTACKER}/` },
  { name: 'the allowed partner on another port', value: 'https://partner.test:8443/' },
];

/**
 * What a browser does with a `Location` (or a `return_to` it is later sent to): resolves it against the
 * page's URL. Fails the test unless it lands on one of `origins` over http(s), without user-info.
 */
export function expectLandsOn(location: string, base: string, origins: readonly string[]): URL {
  expect(location).not.toMatch(/[\r\n\0]/);
  const url = new URL(location, base);
  expect(['http:', 'https:']).toContain(url.protocol);
  expect(origins).toContain(url.origin);
  expect(url.username + url.password).toBe('');
  // A path beginning with two slashes (plain or encoded) turns into another origin as soon as something
  // re-emits it as a relative URL.
  expect(url.pathname).not.toMatch(/^\/(?:[/\\]|%2f|%5c)/i);
  return url;
}

/**
 * A request target that makes the app's own URL carry `value`: as is when it already is a valid target
 * (a path or an absolute-form URL of printable ASCII), else behind a slash; bytes outside printable ASCII
 * are percent-encoded, as a browser would before sending.
 */
export function targetCarrying(value: string): string {
  const printable = (text: string) => Array.from(Buffer.from(text, 'utf8')).map((byte) => (byte > 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
  if (value.startsWith('/') || /^https?:\/\/[\x21-\x7e]+$/i.test(value)) return printable(value);
  return `/${printable(value)}`;
}
