// Reads a V8 .cpuprofile: self and inclusive time per function, heaviest first.
import { readFileSync } from 'node:fs';

const shortUrl = (url) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/').replace(/^.*\/(dist|bench)\//, '$1/');

export function summarize(file, top = 30) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = profile.timeDeltas.reduce((a, b) => a + b, 0) / 1000;
  const perSample = total / Math.max(1, profile.samples.length);
  const keyOf = (n) => {
    const f = n.callFrame;
    return `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
  };
  const self = new Map();
  const inclusive = new Map();
  const subtree = (node, ancestors) => {
    const key = keyOf(node);
    let ms = node.hitCount * perSample;
    self.set(key, (self.get(key) ?? 0) + ms);
    const seen = new Set(ancestors);
    seen.add(key);
    for (const child of node.children ?? []) ms += subtree(byId.get(child), seen);
    if (!ancestors.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    return ms;
  };
  subtree(profile.nodes[0], new Set());
  const rank = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => ({ fn, ms: Math.round(ms), pct: Math.round((ms / total) * 1000) / 10 }));
  return { totalMs: Math.round(total), self: rank(self), inclusive: rank(inclusive) };
}
