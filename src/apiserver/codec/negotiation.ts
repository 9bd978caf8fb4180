/**
 * Content negotiation of responses (`Accept`), as kube-apiserver does it
 * (`endpoints/handlers/negotiation`): the clauses sorted by `q` (then concrete types before
 * wildcards, goautoneg's order), and for each clause the first of the server's media types it
 * matches (JSON, YAML, protobuf) whose parameters the endpoint allows. The answer is how to
 * render objects: as stored, as a `meta.k8s.io` Table (kubectl get) or as PartialObjectMetadata
 * (metadata-only informers), and in which encoding.
 *
 * Endpoint rules (`handlers/rest.go` `AllowsMediaTypeTransform`): a custom resource has no
 * protobuf form, so a plain protobuf clause is skipped for it (`Accept:
 * application/vnd.kubernetes.protobuf,application/json` gets JSON); Tables come in JSON or YAML
 * only; PartialObjectMetadata in any encoding, protobuf included.
 */

/** The media types of resource endpoints, in the server's order (the 406 message lists them). */
export const RESOURCE_MEDIA_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** How a response is written. */
export type Encoding = 'json' | 'yaml' | 'protobuf';

/** How a response renders objects. */
export type Representation =
  | { kind: 'object'; encoding: Encoding }
  | { kind: 'table'; version: 'v1' | 'v1beta1'; encoding: 'json' | 'yaml' }
  | { kind: 'metadata'; version: 'v1' | 'v1beta1'; encoding: Encoding };

/** One clause of an Accept header (goautoneg's `Accept`). */
export interface AcceptClause {
  type: string;
  subtype: string;
  q: number;
  params: Record<string, string>;
}

/**
 * `strconv.ParseFloat(text, 32)` as goautoneg uses it for q: the value, or 0 when Go refuses the
 * text (no surrounding spaces, no trailing characters; decimal and `inf`/`nan` forms).
 */
function goParseFloat(text: string): number {
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return Math.fround(Number(text));
  const special = /^([+-]?)(inf|infinity)$/i.exec(text);
  if (special) return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return /^nan$/i.test(text) ? Number.NaN : 0;
}

/**
 * Parses an Accept header as goautoneg's `ParseAccept` does, sorted best first: higher `q`, then
 * a concrete type before `*`, then a concrete subtype before `*`; equal clauses keep their order.
 */
export function parseAccept(header: string): AcceptClause[] {
  const clauses: AcceptClause[] = [];
  for (const raw of header.split(',')) {
    const [range = '', ...params] = raw.trim().split(';');
    const parts = range.split('/');
    const type = (parts[0] ?? '').trim();
    let subtype: string;
    if (parts.length === 1 && type === '*') subtype = '*';
    else if (parts.length === 2) subtype = (parts[1] ?? '').trim();
    else continue;
    const clause: AcceptClause = { type, subtype, q: 1, params: {} };
    for (const param of params) {
      // goautoneg skips a parameter with no value or a second '='.
      const [key = '', value = '', extra] = param.split('=');
      if (value === '' || extra !== undefined) continue;
      if (key.trim() === 'q') clause.q = goParseFloat(value);
      else clause.params[key.trim()] = value.trim();
    }
    clauses.push(clause);
  }
  const better = (a: AcceptClause, b: AcceptClause) =>
    a.q > b.q || (a.type !== '*' && b.type === '*') || (a.subtype !== '*' && b.subtype === '*');
  // Insertion sort with goautoneg's Less: stable, as Go's sort is for these short slices.
  for (let i = 1; i < clauses.length; i++) {
    const clause = clauses[i];
    let j = i - 1;
    while (j >= 0 && better(clause, clauses[j])) {
      clauses[j + 1] = clauses[j];
      j--;
    }
    clauses[j + 1] = clause;
  }
  return clauses;
}

const SERIALIZERS: { subtype: string; encoding: Encoding; streams: boolean }[] = [
  { subtype: 'json', encoding: 'json', streams: true },
  { subtype: 'yaml', encoding: 'yaml', streams: false },
  { subtype: 'vnd.kubernetes.protobuf', encoding: 'protobuf', streams: true },
];

/** What the endpoint can produce (see the module comment). */
export interface NegotiationOptions {
  /** The resource's kind has a protobuf form (built-ins yes, custom resources no). */
  protobuf: boolean;
  /** A streaming list (`sendInitialEvents=true` with bookmarks): Tables are refused. */
  watchList?: boolean;
}

function representationOf(
  clause: AcceptClause,
  serializer: (typeof SERIALIZERS)[number],
  options: NegotiationOptions,
): Representation | undefined {
  const { as, g, v, stream, sv } = clause.params;
  if (stream !== undefined && stream !== '' && (!serializer.streams || stream !== 'watch')) return undefined;
  if (sv !== undefined && sv !== '' && sv !== 'v1') return undefined;
  const encoding = serializer.encoding;
  if (as === undefined && g === undefined && v === undefined) {
    if (encoding === 'protobuf' && !options.protobuf) return undefined;
    return { kind: 'object', encoding };
  }
  if (g !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) return undefined;
  if (as === 'Table') {
    if (encoding === 'protobuf' || options.watchList) return undefined;
    return { kind: 'table', version: v, encoding };
  }
  if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') {
    return { kind: 'metadata', version: v, encoding };
  }
  return undefined;
}

/**
 * Picks the representation for an Accept header, or undefined when nothing in it can be served
 * (the caller answers 406 with {@link RESOURCE_MEDIA_TYPES}).
 *
 * @example
 * ```ts
 * negotiate('application/vnd.kubernetes.protobuf,application/json', { protobuf: true });
 * // { kind: 'object', encoding: 'protobuf' }
 * negotiate('application/vnd.kubernetes.protobuf,application/json', { protobuf: false });
 * // { kind: 'object', encoding: 'json' } (a custom resource)
 * ```
 */
export function negotiate(accept: string | undefined, options: NegotiationOptions): Representation | undefined {
  if (accept === undefined || accept.trim() === '') return { kind: 'object', encoding: 'json' };
  for (const clause of parseAccept(accept)) {
    for (const serializer of SERIALIZERS) {
      const matches =
        (clause.type === 'application' && (clause.subtype === serializer.subtype || clause.subtype === '*')) ||
        (clause.type === '*' && clause.subtype === '*');
      if (!matches) continue;
      const representation = representationOf(clause, serializer, options);
      if (representation) return representation;
    }
  }
  return undefined;
}

/**
 * The encoding of an error answer (`responsewriters.ErrorNegotiated`): the first clause of Accept
 * without a conversion (`as=`) that names a media type the server writes; JSON when none does.
 * A Status has a protobuf form, so errors of custom resources come in protobuf too.
 */
export function statusEncoding(accept: string | undefined): Encoding {
  if (accept === undefined || accept.trim() === '') return 'json';
  for (const clause of parseAccept(accept)) {
    if (clause.params.as !== undefined || clause.params.g !== undefined || clause.params.v !== undefined) continue;
    for (const serializer of SERIALIZERS) {
      if (
        (clause.type === 'application' && (clause.subtype === serializer.subtype || clause.subtype === '*')) ||
        (clause.type === '*' && clause.subtype === '*')
      ) {
        return serializer.encoding;
      }
    }
  }
  return 'json';
}

/** The aggregated discovery version an Accept header asks for first, if any (before plain JSON). */
export function aggregatedDiscoveryVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (accept === undefined) return undefined;
  for (const entry of parseAccept(accept)) {
    const type = `${entry.type}/${entry.subtype}`.toLowerCase();
    if (type !== 'application/json' && type !== '*/*') continue;
    const { g, v, as } = entry.params;
    if (g === undefined && as === undefined) return undefined;
    if (g === 'apidiscovery.k8s.io' && as === 'APIGroupDiscoveryList' && (v === 'v2' || v === 'v2beta1')) return v;
  }
  return undefined;
}
