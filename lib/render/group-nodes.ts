import type { UiContainer, UiNode, UiText } from '@ory/kratos-client-fetch';
import type { FlowForm } from './types';
import { isUiText, nodeGroup, nodeType } from './context';

export interface GroupedNodes {
  nodesByGroup: Record<string, UiNode[]>;
  forms: FlowForm[];
  scripts: UiNode[];
  messages: UiText[];
}

function isNode(value: unknown): value is UiNode {
  return typeof value === 'object' && value !== null;
}

/**
 * Splits a flow's UI container into ready-to-render forms: one per method group, in order of first
 * appearance, each with every `default` node plus that group's nodes in Kratos' order (a flow with only
 * `default` nodes gives one `default` form). Script nodes go to `scripts`, never into a form.
 *
 * @example
 * const { forms, scripts, messages } = groupNodes(flow.ui);
 */
export function groupNodes(ui: UiContainer): GroupedNodes {
  const container = (typeof ui === 'object' && ui !== null ? ui : {}) as Partial<UiContainer>;
  const nodes = Array.isArray(container.nodes) ? container.nodes.filter(isNode) : [];
  const action = typeof container.action === 'string' ? container.action : '';
  const method = typeof container.method === 'string' && container.method !== '' ? container.method : 'POST';
  const messages = Array.isArray(container.messages) ? container.messages.filter(isUiText) : [];

  const nodesByGroup: Record<string, UiNode[]> = Object.create(null);
  const scripts: UiNode[] = [];
  const formNodes: UiNode[] = [];
  const methodGroups: string[] = [];
  for (const node of nodes) {
    const group = nodeGroup(node);
    (nodesByGroup[group] ??= []).push(node);
    if (nodeType(node) === 'script') {
      scripts.push(node);
      continue;
    }
    formNodes.push(node);
    if (group !== 'default' && !methodGroups.includes(group)) methodGroups.push(group);
  }

  const groups = methodGroups.length > 0 ? methodGroups : formNodes.length > 0 ? ['default'] : [];
  const forms = groups.map((group) => ({
    group,
    action,
    method,
    nodes: formNodes.filter((node) => {
      const nodeGroupName = nodeGroup(node);
      return nodeGroupName === 'default' || nodeGroupName === group;
    }),
  }));
  return { nodesByGroup: { ...nodesByGroup }, forms, scripts, messages };
}
