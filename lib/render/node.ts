import type { UiNode } from '@ory/kratos-client-fetch';
import { createContext, nodeType, type RenderContext } from './context';
import { renderInputNode } from './node-input';
import { renderAnchorNode, renderImageNode, renderScriptNode, renderTextNode, renderUnknownNode } from './node-content';
import { resolveRenderOptions, type RenderOptions } from './options';
import { RenderOptionsError } from './errors';

export interface NodeRenderOptions extends RenderOptions {
  /** Group of the form the node is rendered in (part of its id). Default: the node's own group. */
  formGroup?: string;
  /** Ids already used in the page; pass the same set to every call to keep ids unique. */
  usedIds?: Set<string>;
}

export function renderNodeIn(node: UiNode, ctx: RenderContext): string {
  switch (nodeType(node)) {
    case 'input':
      return renderInputNode(node, ctx);
    case 'text':
      return renderTextNode(node, ctx);
    case 'img':
      return renderImageNode(node, ctx);
    case 'a':
      return renderAnchorNode(node, ctx);
    case 'script':
      return renderScriptNode(node, ctx);
    default:
      return renderUnknownNode(node, ctx);
  }
}

export function splitNodeOptions(options: NodeRenderOptions = {}): { render: RenderOptions; formGroup?: string; usedIds?: Set<string> } {
  if (typeof options !== 'object' || options === null) return { render: options };
  const { formGroup, usedIds, ...render } = options;
  const problems: string[] = [];
  if (formGroup !== undefined && typeof formGroup !== 'string') problems.push(`formGroup: ${String(formGroup)} is not a string. Use the form's group, for example "password".`);
  if (usedIds !== undefined && !(usedIds instanceof Set)) problems.push('usedIds: not a Set. Pass new Set() and reuse it for every node of the page.');
  if (problems.length > 0) throw new RenderOptionsError(problems);
  return { render, formGroup, usedIds };
}

/**
 * Renders one UI node to HTML (for view engines that lay out forms themselves).
 *
 * @example
 * const usedIds = new Set<string>();
 * form.nodes.map((node) => renderNode(node, { formGroup: form.group, usedIds })).join('')
 */
export function renderNode(node: UiNode, options?: NodeRenderOptions): string {
  const { render, formGroup, usedIds } = splitNodeOptions(options);
  const ctx = createContext(resolveRenderOptions(render), usedIds);
  ctx.formGroup = formGroup;
  return renderNodeIn(node, ctx);
}
