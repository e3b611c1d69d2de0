import { RenderOptionsError, renderForm, renderMessages, renderNode, renderPage } from '../../lib/render';
import type { RenderOptions } from '../../lib/render';
import { flowUi, inputNode, viewData } from './helpers';

const page = viewData('login', flowUi('login', [inputNode('csrf_token', 'hidden', { value: 't' })]));

function problemsOf(options: unknown): string {
  try {
    renderPage(page, options as RenderOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(RenderOptionsError);
    expect(error).toMatchObject({ code: 'KRATOS_EXPRESS_INVALID_RENDER_OPTIONS', status: 500, statusCode: 500 });
    return (error as Error).message;
  }
  throw new Error('expected the options to be rejected');
}

describe('render options', () => {
  it.each([
    [{ nonce: 'has space' }, 'nonce: "has space" is not a valid CSP nonce'],
    [{ nonce: 42 }, 'nonce: 42 is not a valid CSP nonce'],
    [{ appName: '' }, 'appName: "" is not a non-empty string'],
    [{ lang: 'en_US' }, 'lang: "en_US" is not a language tag'],
    [{ stylesheet: 'javascript:alert(1)' }, 'stylesheet: "javascript:alert(1)" is not an http(s) URL or a relative path'],
    [{ stylesheet: true }, 'stylesheet: true is not an http(s) URL'],
    [{ builtinStylesheet: 'no' }, 'builtinStylesheet: "no" is not a boolean'],
    [{ clientScriptUrl: 'data:text/javascript,alert(1)' }, 'clientScriptUrl: "data:text/javascript,alert(1)" is not an http(s) URL'],
    [{ messages: 'de' }, 'messages: "de" is not a function'],
    [{ labels: 'de' }, 'labels: "de" is not an object'],
    [{ labels: { signIn: 3 } }, 'labels.signIn: 3 is not a string'],
    [{ labels: { logIn: 'x' } }, 'labels.logIn: not a known label'],
    [{ nounce: 'abc' }, '"nounce" is not an option. Did you mean "nonce"?'],
    [{ colour: 'red' }, '"colour" is not an option. Known options: nonce, appName'],
  ])('rejects %j naming the option, the value and the fix', (options, expected) => {
    expect(problemsOf(options)).toContain(expected);
  });

  it('reports every problem in one error', () => {
    const message = problemsOf({ lang: 1, appName: 2, nonce: '<' });
    expect(message).toContain('3 problems');
    expect(message).toContain('lang:');
    expect(message).toContain('appName:');
    expect(message).toContain('nonce:');
  });

  it('rejects options that are not an object', () => {
    expect(problemsOf('Acme')).toContain('options: "Acme" is not an object');
  });

  it('accepts every valid option', () => {
    const options: RenderOptions = {
      nonce: 'bm9uY2U=',
      appName: 'Acme',
      lang: 'pt-BR',
      stylesheet: 'https://cdn.example.com/app.css',
      builtinStylesheet: false,
      clientScriptUrl: '/auth/kratos-express.js',
      messages: (text) => text.text,
      labels: { signIn: 'Entrar' },
    };
    expect(() => renderPage(page, options)).not.toThrow();
  });

  it('validates the options of the fragment renderers too', () => {
    const node = inputNode('identifier', 'text');
    expect(() => renderNode(node, { lang: '?' })).toThrow(RenderOptionsError);
    expect(() => renderNode(node, { usedIds: [] as unknown as Set<string> })).toThrow(/usedIds/);
    expect(() => renderForm(page.forms[0], { heading: 'yes' as unknown as boolean })).toThrow(/heading: yes is not a boolean/);
    expect(() => renderMessages([], { messages: 1 as unknown as () => string })).toThrow(/messages: 1/);
  });

  it('falls back to the Kratos text when the messages function returns no string', () => {
    const html = renderMessages([{ id: 1, text: 'Original', type: 'info' }], { messages: () => undefined as unknown as string });
    expect(html).toContain('>Original<');
  });
});
