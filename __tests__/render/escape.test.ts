import { escapeAttribute, escapeHtml, isSafeHref } from '../../lib/render';
import { isAbsoluteHttpUrl, isSafeImageSrc } from '../../lib/render/escape';

describe('escapeHtml', () => {
  it('escapes every character that can open markup or close an attribute', () => {
    expect(escapeHtml(`<script>alert("x") & 'y' \`z\`</script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39; &#96;z&#96;&lt;/script&gt;',
    );
  });

  it('renders null and undefined as nothing and numbers, booleans and objects as text', () => {
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(2.5)).toBe('2.5');
    expect(escapeHtml(false)).toBe('false');
    expect(escapeHtml({ a: '<b>' })).toBe('{&quot;a&quot;:&quot;&lt;b&gt;&quot;}');
  });

  it('does not double-escape what it is given once', () => {
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });
});

describe('escapeAttribute', () => {
  it('keeps a value inside its double-quoted attribute', () => {
    expect(escapeAttribute('" onmouseover="alert(1)')).toBe('&quot; onmouseover=&quot;alert(1)');
    expect(escapeAttribute("' autofocus '")).toBe('&#39; autofocus &#39;');
  });
});

describe('isSafeHref', () => {
  it.each([
    ['http://127.0.0.1:4433/self-service/login/browser', true],
    ['https://example.com/a?b=c', true],
    ['/self-service/recovery', true],
    ['recovery?flow=1', true],
    ['../login', true],
    ['javascript:alert(1)', false],
    ['JaVaScRiPt:alert(1)', false],
    [' javascript:alert(1)', false],
    ['java\tscript:alert(1)', false],
    ['javascript&colon;alert(1)', true],
    ['data:text/html,<script>alert(1)</script>', false],
    ['vbscript:msgbox', false],
    ['mailto:a@b.c', false],
    ['', false],
    [42, false],
  ])('%j -> %s', (value, safe) => {
    expect(isSafeHref(value)).toBe(safe);
  });
});

describe('image and script sources', () => {
  it('accepts data:image URLs and absolute http(s) URLs as image sources, nothing else', () => {
    expect(isSafeImageSrc('data:image/png;base64,iVBORw0KGgo=')).toBe(true);
    expect(isSafeImageSrc('https://cdn.example.com/qr.png')).toBe(true);
    expect(isSafeImageSrc('data:text/html;base64,PHNjcmlwdD4=')).toBe(false);
    expect(isSafeImageSrc('data:image/svg+xml,<svg onload=alert(1)>')).toBe(false);
    expect(isSafeImageSrc('javascript:alert(1)')).toBe(false);
    expect(isSafeImageSrc('/relative.png')).toBe(false);
  });

  it('accepts only absolute http(s) URLs as script sources', () => {
    expect(isAbsoluteHttpUrl('http://127.0.0.1:4433/.well-known/ory/webauthn.js')).toBe(true);
    expect(isAbsoluteHttpUrl('/webauthn.js')).toBe(false);
    expect(isAbsoluteHttpUrl('javascript:alert(1)')).toBe(false);
    expect(isAbsoluteHttpUrl('data:text/javascript,alert(1)')).toBe(false);
  });
});
