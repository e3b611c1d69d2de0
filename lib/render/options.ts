import type { UiText } from '@ory/kratos-client-fetch';
import { isSafeHref } from './escape';
import { RenderOptionsError } from './errors';
import { defaultLabels, labelKeys, type RenderLabels } from './labels';
import { clientScriptPath } from './client-script';

export interface RenderOptions {
  /** CSP nonce put on every `<style>` and `<script>` element the renderer emits. */
  nonce?: string;
  /** Name of the app, shown in the page header and in `<title>`. */
  appName?: string;
  /** `lang` of the document (BCP 47). Default `'en'`. */
  lang?: string;
  /**
   * URL of the app's stylesheet, linked after the built-in CSS (set `builtinStylesheet: false` to use it
   * instead of the built-in CSS); `false` drops the built-in CSS and links nothing.
   */
  stylesheet?: string | false;
  /** Whether the built-in CSS is inlined. Default `true` (unless `stylesheet` is `false`). */
  builtinStylesheet?: boolean;
  /**
   * Where the client script (`clientScript`) is served, rendered only when a node needs it.
   * Default `'kratos-express.js'`, relative to the page.
   */
  clientScriptUrl?: string;
  /** Translates or overrides the texts Kratos sends, by `id`. Default: Kratos' own `text`. */
  messages?: (text: UiText) => string;
  /** Overrides of the built-in strings (page titles, group headings, links between pages). */
  labels?: Partial<RenderLabels>;
}

export interface ResolvedRenderOptions {
  nonce?: string;
  appName?: string;
  lang: string;
  stylesheetUrl?: string;
  builtinStylesheet: boolean;
  clientScriptUrl: string;
  translate: (text: UiText) => string;
  labels: Readonly<RenderLabels>;
}

const OPTION_NAMES = [
  'nonce',
  'appName',
  'lang',
  'stylesheet',
  'builtinStylesheet',
  'clientScriptUrl',
  'messages',
  'labels',
] as const;

const NONCE = /^[A-Za-z0-9+/_=-]{1,256}$/;
const LANG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

function unknownOption(name: string): string {
  const guess = OPTION_NAMES.find((known) => distance(known.toLowerCase(), name.toLowerCase()) <= 2);
  return guess
    ? `${show(name)} is not an option. Did you mean "${guess}"?`
    : `${show(name)} is not an option. Known options: ${OPTION_NAMES.join(', ')}.`;
}

/** Checks a CSP nonce; returns a problem text or `undefined`. */
export function nonceProblem(value: unknown, where = 'nonce'): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' && NONCE.test(value)
    ? undefined
    : `${where}: ${show(value)} is not a valid CSP nonce. Use the base64 nonce your Content-Security-Policy carries (letters, digits, +, /, _, -, =).`;
}

function urlProblem(name: string, value: unknown): string | undefined {
  return isSafeHref(value)
    ? undefined
    : `${name}: ${show(value)} is not an http(s) URL or a relative path. Use for example "/assets/app.css".`;
}

function labelProblems(labels: unknown): string[] {
  if (labels === undefined) return [];
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    return [`labels: ${show(labels)} is not an object. Use for example { signIn: "Anmelden" }.`];
  }
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (!(labelKeys as string[]).includes(key)) {
      problems.push(`labels.${key}: not a known label. Known labels: ${labelKeys.join(', ')}.`);
    } else if (typeof value !== 'string') {
      problems.push(`labels.${key}: ${show(value)} is not a string. Give the text to show.`);
    }
  }
  return problems;
}

function collectProblems(options: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(name)) problems.push(unknownOption(name));
  }
  const { nonce, appName, lang, stylesheet, builtinStylesheet, clientScriptUrl, messages, labels } = options;
  const nonceIssue = nonceProblem(nonce);
  if (nonceIssue) problems.push(nonceIssue);
  if (appName !== undefined && (typeof appName !== 'string' || appName.trim() === '')) {
    problems.push(`appName: ${show(appName)} is not a non-empty string. Give the name of the app, for example "Acme".`);
  }
  if (lang !== undefined && (typeof lang !== 'string' || !LANG.test(lang))) {
    problems.push(`lang: ${show(lang)} is not a language tag. Use a BCP 47 tag such as "en" or "pt-BR".`);
  }
  if (stylesheet !== undefined && stylesheet !== false) {
    const issue = urlProblem('stylesheet', stylesheet);
    if (issue) problems.push(`${issue} Or pass false to drop the built-in CSS.`);
  }
  if (builtinStylesheet !== undefined && typeof builtinStylesheet !== 'boolean') {
    problems.push(`builtinStylesheet: ${show(builtinStylesheet)} is not a boolean. Use true or false.`);
  }
  if (clientScriptUrl !== undefined) {
    const issue = urlProblem('clientScriptUrl', clientScriptUrl);
    if (issue) problems.push(issue.replace('"/assets/app.css"', `"/auth/${clientScriptPath}"`));
  }
  if (messages !== undefined && typeof messages !== 'function') {
    problems.push(`messages: ${show(messages)} is not a function. Use (text) => translatedString.`);
  }
  problems.push(...labelProblems(labels));
  return problems;
}

function defaultTranslate(text: UiText): string {
  return typeof text?.text === 'string' ? text.text : '';
}

function safeTranslator(messages: (text: UiText) => string): (text: UiText) => string {
  return function translate(text: UiText): string {
    const result = messages(text);
    return typeof result === 'string' ? result : defaultTranslate(text);
  };
}

const resolvedCache = new WeakMap<object, ResolvedRenderOptions>();

/**
 * Validates render options (every problem in one `RenderOptionsError`) and precomputes what each page
 * needs. Results are cached per options object.
 */
export function resolveRenderOptions(options: RenderOptions = {}): ResolvedRenderOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new RenderOptionsError([`options: ${show(options)} is not an object. Pass { appName, nonce, ... } or nothing.`]);
  }
  const cached = resolvedCache.get(options);
  if (cached) return cached;
  const problems = collectProblems(options as Record<string, unknown>);
  if (problems.length > 0) throw new RenderOptionsError(problems);
  const resolved: ResolvedRenderOptions = Object.freeze({
    nonce: options.nonce,
    appName: options.appName,
    lang: options.lang ?? 'en',
    stylesheetUrl: typeof options.stylesheet === 'string' ? options.stylesheet : undefined,
    builtinStylesheet: options.stylesheet !== false && options.builtinStylesheet !== false,
    clientScriptUrl: options.clientScriptUrl ?? clientScriptPath,
    translate: options.messages ? safeTranslator(options.messages) : defaultTranslate,
    labels: Object.freeze({ ...defaultLabels, ...options.labels }),
  });
  resolvedCache.set(options, resolved);
  return resolved;
}
