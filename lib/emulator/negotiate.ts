interface AcceptSpec {
  value: string;
  q: number;
}

function parseAccept(header: string | undefined): AcceptSpec[] {
  if (!header) return [];
  const specs: AcceptSpec[] = [];
  for (const part of header.split(',')) {
    const [value, ...params] = part.trim().split(';');
    if (!value) continue;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k?.trim().toLowerCase() === 'q') {
        const n = Number(v);
        q = Number.isFinite(n) ? n : 0;
      }
    }
    specs.push({ value: value.trim().toLowerCase(), q });
  }
  return specs;
}

/** gddo httputil.NegotiateContentType: exact match beats `type/*` beats `*∕*`, then q-values. */
export function negotiate(accept: string | undefined, offers: readonly string[], fallback: string): string {
  let best = fallback;
  let bestQ = -1;
  let bestWild = 3;
  const specs = parseAccept(accept);
  for (const offer of offers) {
    for (const spec of specs) {
      if (spec.q === 0 || spec.q < bestQ) continue;
      if (spec.value === '*/*') {
        if (spec.q > bestQ || bestWild > 2) [bestQ, bestWild, best] = [spec.q, 2, offer];
      } else if (spec.value.endsWith('/*')) {
        if (offer.startsWith(spec.value.slice(0, -1)) && (spec.q > bestQ || bestWild > 1)) [bestQ, bestWild, best] = [spec.q, 1, offer];
      } else if (spec.value === offer && (spec.q > bestQ || bestWild > 0)) [bestQ, bestWild, best] = [spec.q, 0, offer];
    }
  }
  return best;
}
