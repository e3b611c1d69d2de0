import type { UiNode, UiText } from '@ory/kratos-client-fetch';
import type { AnyFlow, PageKind } from './types';
import { attributesOf, isUiText, metaLabel, nodeType, stringAttribute } from './context';
import { defaultLabels, humanize, type RenderLabels } from './labels';
import { resolveRenderOptions, type RenderOptions } from './options';

/** Translates one Kratos text with the configured `messages` function (default: Kratos' `text`). */
export function translateText(text: UiText | undefined, translate: (text: UiText) => string): string {
  return text && isUiText(text) ? translate(text) : '';
}

/** The UiText that labels a node: `attributes.label`, `attributes.title` (links) or `meta.label`. */
export function nodeLabelText(node: UiNode): UiText | undefined {
  const attributes = attributesOf(node);
  if (nodeType(node) === 'input' && isUiText(attributes.label)) return attributes.label;
  if (nodeType(node) === 'a' && isUiText(attributes.title)) return attributes.title;
  return metaLabel(node);
}

export function labelFor(node: UiNode, translate: (text: UiText) => string, labels: Readonly<RenderLabels>): string {
  const text = translateText(nodeLabelText(node), translate);
  if (text !== '' || nodeType(node) !== 'input') return text;
  const attributes = attributesOf(node);
  if (attributes.type === 'hidden') return '';
  if (attributes.type === 'submit' || attributes.type === 'button') {
    const value = attributes.value;
    return typeof value === 'string' && value !== '' ? humanize(value) : labels.submit;
  }
  return humanize(stringAttribute(attributes, 'name') ?? '');
}

/**
 * The visible label of a node, translated: the Kratos label, else one derived from the field name
 * (`traits.first_name` -> `First name`); `''` for hidden inputs and unlabelled non-input nodes.
 *
 * @example
 * nodeLabel(passwordNode) // 'Password'
 */
export function nodeLabel(node: UiNode, options?: RenderOptions): string {
  const resolved = resolveRenderOptions(options);
  return labelFor(node, resolved.translate, resolved.labels);
}

/**
 * The default title of a page.
 *
 * @example
 * pageTitle('login') // 'Sign in'
 * pageTitle('login', { ...flow, requested_aal: 'aal2' }) // 'Two-factor authentication'
 */
export function pageTitle(kind: PageKind, flow?: AnyFlow, labels: Partial<RenderLabels> = defaultLabels): string {
  const text = { ...defaultLabels, ...labels };
  switch (kind) {
    case 'login': {
      const login = (flow ?? {}) as { refresh?: unknown; requested_aal?: unknown };
      if (login.refresh === true) return text.loginRefreshTitle;
      if (login.requested_aal === 'aal2') return text.loginSecondFactorTitle;
      return text.loginTitle;
    }
    case 'registration':
      return text.registrationTitle;
    case 'settings':
      return text.settingsTitle;
    case 'recovery':
      return text.recoveryTitle;
    case 'verification':
      return text.verificationTitle;
    default:
      return text.errorTitle;
  }
}
