const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

const HTML_SPECIALS = /[&<>"'`]/g;

function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/**
 * Escapes a value for an HTML text context. `null`/`undefined` become `''`, objects become JSON.
 *
 * @example
 * escapeHtml('<b>"hi"</b>') // '&lt;b&gt;&quot;hi&quot;&lt;/b&gt;'
 */
export function escapeHtml(value: unknown): string {
  return toText(value).replace(HTML_SPECIALS, (char) => HTML_ESCAPES[char]);
}

/**
 * Escapes a value for a double-quoted HTML attribute value.
 *
 * @example
 * `<input value="${escapeAttribute(userValue)}">`
 */
export function escapeAttribute(value: unknown): string {
  return escapeHtml(value);
}

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const URL_BASE = 'http://renderer.invalid/';

function parsedProtocol(value: string): string | undefined {
  try {
    return new URL(value, URL_BASE).protocol;
  } catch {
    return undefined;
  }
}

/**
 * True when a link target is an absolute http(s) URL or a relative reference that a browser resolves to
 * http(s) (never `javascript:`, `data:`, `vbscript:` or another scheme, however it is disguised).
 */
export function isSafeHref(value: unknown): value is string {
  if (typeof value !== 'string' || value === '' || CONTROL_CHARACTERS.test(value)) return false;
  const protocol = parsedProtocol(value);
  return protocol === 'http:' || protocol === 'https:';
}

/** True for an absolute `http:` or `https:` URL (script sources). */
export function isAbsoluteHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string' || CONTROL_CHARACTERS.test(value) || !SCHEME.test(value.trim())) return false;
  const protocol = parsedProtocol(value);
  return protocol === 'http:' || protocol === 'https:';
}

const DATA_IMAGE = /^data:image\/[a-z0-9.+-]+(;[a-z0-9=.+-]+)*(;base64)?,[a-z0-9+/=%._~-]*$/i;

/** True for a `data:image/...` URL or an absolute http(s) URL (image sources). */
export function isSafeImageSrc(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (value.slice(0, 5).toLowerCase() === 'data:') return DATA_IMAGE.test(value);
  return isAbsoluteHttpUrl(value);
}
