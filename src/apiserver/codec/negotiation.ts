/**
 * Content negotiation of responses (`Accept`): the object as stored, a `meta.k8s.io` Table
 * (kubectl get), or PartialObjectMetadata (metadata-only informers). Entries are tried in order;
 * the first the emulator can produce wins, and plain JSON is always acceptable as a fallback
 * when the client lists it or a wildcard.
 */

/** How a response renders objects. */
export type Representation =
  | { kind: 'object' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'metadata'; version: 'v1' | 'v1beta1' };

interface AcceptEntry {
  type: string;
  params: Record<string, string>;
}

function parseAccept(header: string): AcceptEntry[] {
  return header
    .split(',')
    .map((part) => {
      const [type, ...rest] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
      }
      return { type: (type ?? '').toLowerCase(), params };
    })
    .filter((e) => e.type !== '');
}

/**
 * Picks the representation for an Accept header, or undefined when nothing in it can be served
 * (the caller answers 406).
 */
export function negotiate(accept: string | undefined): Representation | undefined {
  if (accept === undefined || accept.trim() === '') return { kind: 'object' };
  for (const entry of parseAccept(accept)) {
    const json = entry.type === 'application/json';
    if (!json && entry.type !== '*/*' && entry.type !== 'application/*') continue;
    const as = entry.params.as;
    if (as === undefined) return { kind: 'object' };
    if (!json || entry.params.g !== 'meta.k8s.io') continue;
    const version = entry.params.v;
    if (version !== 'v1' && version !== 'v1beta1') continue;
    if (as === 'Table') return { kind: 'table', version };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'metadata', version };
  }
  return undefined;
}

/** The aggregated discovery version an Accept header asks for first, if any (before plain JSON). */
export function aggregatedDiscoveryVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (accept === undefined) return undefined;
  for (const entry of parseAccept(accept)) {
    if (entry.type !== 'application/json' && entry.type !== '*/*') continue;
    const { g, v, as } = entry.params;
    if (g === undefined && as === undefined) return undefined;
    if (g === 'apidiscovery.k8s.io' && as === 'APIGroupDiscoveryList' && (v === 'v2' || v === 'v2beta1')) return v;
  }
  return undefined;
}
