/**
 * XSS payloads for every field the renderer prints. The first seven are those of __tests__/render/xss.test.ts;
 * each entry names the trick it tries.
 */
export const XSS_PAYLOADS: ReadonlyArray<readonly [trick: string, payload: string]> = [
  ['a script element', '<script>alert(1)</script>'],
  ['an attribute breakout into an img onerror', '"><img src=x onerror=alert(1)>'],
  ['a single-quote breakout into svg onload', "'><svg onload=alert(1)>"],
  ['a javascript: URL', 'javascript:alert(1)'],
  ['closing the style element', '</style><script>alert(1)</script>'],
  ['closing the title element', '</title><script>alert(1)</script>'],
  ['a double-quoted event handler', '" onfocus="alert(1)" autofocus="'],
  ['a single-quoted event handler', "' onmouseover='alert(1)' x='"],
  ['a backtick attribute breakout', '` onmouseover=alert(1) x=`'],
  ['an unquoted-attribute breakout', 'x onmouseover=alert(1) y'],
  ['a mixed-case javascript: URL', 'JaVaScRiPt:alert(1)'],
  ['a javascript: URL after whitespace', ' \tjavascript:alert(1)'],
  ['a javascript: URL split by a tab', 'java\tscript:alert(1)'],
  ['a javascript: URL with an entity colon', 'javascript&colon;alert(1)'],
  ['a javascript: URL with a numeric entity', '&#106;avascript:alert(1)'],
  ['a data: URL of an HTML page', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='],
  ['a vbscript: URL', 'vbscript:msgbox(1)'],
  ['a script inside SVG', '<svg><script>alert(1)</script></svg>'],
  ['MathML namespace confusion (mXSS)', '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>'],
  ['closing a textarea', '</textarea><script>alert(1)</script>'],
  ['a comment opener', '<!--<script>alert(1)</script>-->'],
  ['a comment closer', '--><script>alert(1)</script>'],
  ['a CDATA section', '<![CDATA[<script>alert(1)</script>]]>'],
  ['a {{ }} template expression', '{{constructor.constructor("alert(1)")()}}'],
  ['a ${} template literal', '${alert(1)}<%= 7*7 %>#{7*7}'],
  ['JavaScript unicode escapes', '\\u003cscript\\u003ealert(1)\\u003c/script\\u003e'],
  ['fullwidth angle brackets and line separators', '＜script＞alert(1)＜/script＞\u2028\u2029'],
  ['NUL bytes inside a tag name', '<scr\u0000ipt>alert(1)</scr\u0000ipt>'],
  ['a NUL byte inside javascript:', 'java\u0000script:alert(1)'],
  ['CR/LF before a script', '\r\n<script>alert(1)</script>\r'],
  ['already-escaped entities', '&lt;script&gt;alert(1)&lt;/script&gt; &amp;'],
  ['an iframe srcdoc', '<iframe srcdoc="<script>alert(1)</script>"></iframe>'],
  ['a base element', '<base href="//evil.example/">'],
  ['a meta refresh', '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'],
  ['a CSS expression', '<div style="width:expression(alert(1))">x:expression(alert(1))</div>'],
  ['a link to javascript:', '<a href="javascript:alert(1)">x</a>'],
  ['a form and a formaction', '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x</button></form>'],
  ['an object with a javascript: data URL', '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">'],
  ['a template element', '<template><script>alert(1)</script></template>'],
  ['a noscript breakout', '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'],
  ['raw-text elements', '<xmp><script>alert(1)</script></xmp><plaintext>'],
  ['a stylesheet link', '<link rel=stylesheet href=//evil.example/x.css>'],
  ['a nested script tag', '<scr<script>ipt>alert(1)</script>'],
  ['an unterminated img', '<img src=x onerror=alert(1)//'],
  ['a percent-encoded script', '%3Cscript%3Ealert(1)%3C/script%3E'],
  ['an http URL breaking out of its attribute', 'https://evil.example/" onerror="alert(1)'],
  ['a script src breakout', 'http://127.0.0.1:4433/x.js"></script><script>alert(1)</script>'],
  ['a javascript: URL with a newline', 'javascript:/*\n*/alert(1)'],
];

/** Just the payload strings. */
export const PAYLOADS: readonly string[] = XSS_PAYLOADS.map(([, payload]) => payload);

/**
 * What the HTML parser makes of a string: CR and CRLF become LF everywhere; a NUL is dropped from text content,
 * and becomes U+FFFD in attribute values and in `<title>` (RCDATA).
 */
export function asParsed(value: string, where: 'text' | 'rcdata' | 'attribute'): string {
  const lines = value.replace(/\r\n?/g, '\n');
  return where === 'text' ? lines.replace(/\0/g, '') : lines.replace(/\0/g, '\uFFFD');
}

/** Every element the built-in renderer emits. Anything else in a page was created by a payload. */
export const RENDERER_TAGS = new Set([
  'html', 'head', 'meta', 'title', 'style', 'link', 'body', 'header', 'main', 'h1', 'h2', 'h3', 'div', 'p', 'span', 'code', 'ul', 'li',
  'section', 'nav', 'form', 'label', 'input', 'button', 'a', 'img', 'script',
]);

/** Every attribute the built-in renderer emits (no `on*`, `style`, `srcdoc`, `formaction`, `http-equiv`, ...). */
export const RENDERER_ATTRIBUTES = new Set([
  'lang', 'charset', 'name', 'content', 'rel', 'href', 'class', 'id', 'role', 'aria-labelledby', 'aria-describedby', 'aria-invalid',
  'aria-hidden', 'action', 'method', 'type', 'value', 'for', 'step', 'required', 'disabled', 'checked', 'pattern', 'maxlength',
  'autocomplete', 'data-message-id', 'data-kratos-onclick-trigger', 'data-kratos-onload-trigger', 'src', 'alt', 'width', 'height',
  'async', 'defer', 'nonce', 'integrity', 'crossorigin', 'referrerpolicy',
]);

/** Elements and attributes a payload must never create, named for readable failures. */
export const FORBIDDEN_SELECTOR = 'base, meta[http-equiv], [srcdoc], [formaction], [style], iframe, object, embed, svg, math, textarea, template, noscript, xmp, plaintext';

/** Elements or attributes of a page that the renderer does not emit, as `tag` or `tag[attribute]`. */
export function foreignMarkup(doc: Document): string[] {
  return Array.from(doc.querySelectorAll('*')).flatMap((element) => {
    const tag = element.tagName.toLowerCase();
    const out = RENDERER_TAGS.has(tag) ? [] : [tag];
    for (const attribute of Array.from(element.attributes)) if (!RENDERER_ATTRIBUTES.has(attribute.name)) out.push(`${tag}[${attribute.name}]`);
    return out;
  });
}

/** URL-carrying attributes whose value is a script (or non-image data) URL, as browsers read them. */
export function scriptUrls(doc: Document): string[] {
  const out: string[] = [];
  for (const element of Array.from(doc.querySelectorAll('*'))) {
    for (const name of ['href', 'src', 'action', 'formaction', 'xlink:href', 'srcset', 'poster', 'background', 'data']) {
      const value = element.getAttribute(name);
      if (value === null) continue;
      const squeezed = value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
      const dataImage = element.tagName === 'IMG' && name === 'src' && squeezed.startsWith('data:image/');
      if (/^(javascript|vbscript|data):/.test(squeezed) && !dataImage) out.push(`${element.tagName.toLowerCase()}[${name}=${value}]`);
    }
  }
  return out;
}
