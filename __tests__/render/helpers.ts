import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import type { UiContainer, UiNode, UiText } from '@ory/kratos-client-fetch';
import { groupNodes } from '../../lib/render';
import type { FlowUrls, FlowViewData, PageKind } from '../../lib/render';

export const FIXTURE_DIR = join(__dirname, 'fixtures');
export const FLOW_ID = '5b1e6c4a-8f0e-4f38-9a55-2d6cbb0e7a11';

export function parse(html: string): Document {
  return new JSDOM(html).window.document;
}

export function fixtureFiles(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort();
}

/** The node list and flow-level messages of a fixture (a node list, a UiContainer or a whole flow). */
export function loadFixture(file: string): { nodes: UiNode[]; messages: UiText[] } {
  const json = JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8'));
  if (Array.isArray(json)) return { nodes: json, messages: [] };
  const ui = json.ui ?? json;
  return { nodes: ui.nodes, messages: ui.messages ?? [] };
}

export function flowUi(kind: string, nodes: UiNode[], messages: UiText[] = [], method = 'POST'): UiContainer {
  return { action: `http://127.0.0.1:4433/self-service/${kind}?flow=${FLOW_ID}`, method, nodes, messages };
}

export function viewData(kind: PageKind, ui: UiContainer, extra: Partial<FlowViewData> = {}): FlowViewData {
  const urls: FlowUrls = { home: '/' };
  return {
    kind,
    title: '',
    flow: { id: FLOW_ID, ui } as unknown as FlowViewData['flow'],
    ...groupNodes(ui),
    urls,
    status: 200,
    ...extra,
  };
}

export function label(text: string, id = 1070002): { label: UiText } {
  return { label: { id, text, type: 'info' } };
}

export function inputNode(
  name: string,
  type: string,
  attributes: Record<string, unknown> = {},
  group = 'default',
  meta: Record<string, unknown> = {},
  messages: UiText[] = [],
): UiNode {
  return {
    type: 'input',
    group,
    attributes: { name, type, disabled: false, node_type: 'input', ...attributes },
    messages,
    meta,
  } as unknown as UiNode;
}

export function node(type: string, group: string, attributes: Record<string, unknown>, meta: Record<string, unknown> = {}, messages: UiText[] = []): UiNode {
  return { type, group, attributes: { node_type: type, ...attributes }, messages, meta } as unknown as UiNode;
}

/** Every attribute whose name starts with `on` (inline event handlers). */
export function inlineHandlers(doc: Document): string[] {
  return Array.from(doc.querySelectorAll('*')).flatMap((element) =>
    Array.from(element.attributes)
      .filter((attribute) => /^on/i.test(attribute.name))
      .map((attribute) => `${element.tagName.toLowerCase()}[${attribute.name}]`),
  );
}

export function inlineScripts(doc: Document): number {
  return Array.from(doc.querySelectorAll('script')).filter((script) => !script.hasAttribute('src') || script.textContent !== '').length;
}
