/**
 * Names, namespaces and subresources become URL path segments. client-go refuses a value that
 * is not a valid segment before it sends anything (`rest.Request.Name`/`Namespace`, with
 * apimachinery's `IsValidPathSegmentName`); without that check `delete(ConfigMap, { namespace:
 * 'victim', name: '..' })` resolves to `.../namespaces/victim` and deletes the Namespace.
 */
import { KloopError } from '../core/index.js';

/** Which part of the request path was refused. */
export type PathSegmentKind = 'name' | 'namespace' | 'subresource';

/**
 * A resource name, namespace or subresource that cannot be a URL path segment (empty, `.`, `..`,
 * or containing `/` or `%`). Nothing was sent.
 *
 * @remarks Not retryable: the caller must pass another name. The message is client-go's, e.g.
 * `invalid resource name "..": [may not be '..']`.
 */
export class InvalidPathSegmentError extends KloopError {
  /** `name`, `namespace` or `subresource`. */
  readonly kind: PathSegmentKind;
  /** The refused value. */
  readonly value: string;

  constructor(kind: PathSegmentKind, value: string, message: string) {
    super('KLOOP_INVALID_NAME', message);
    this.name = 'InvalidPathSegmentError';
    this.kind = kind;
    this.value = value;
  }
}

/** apimachinery `IsValidPathSegmentName`: the reasons `value` is not a path segment, none when it is. */
export function pathSegmentProblems(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const problems: string[] = [];
  for (const illegal of ['/', '%']) if (value.includes(illegal)) problems.push(`may not contain '${illegal}'`);
  return problems;
}

const LABELS: Record<PathSegmentKind, string> = {
  name: 'resource name',
  namespace: 'namespace',
  subresource: 'subresource',
};

/** Throws `InvalidPathSegmentError` unless `value` is a non-empty path segment. */
export function checkPathSegment(kind: PathSegmentKind, value: string): void {
  if (typeof value !== 'string')
    throw new InvalidPathSegmentError(kind, String(value), `${LABELS[kind]} must be a string, not ${typeof value}`);
  if (value === '') throw new InvalidPathSegmentError(kind, value, `${LABELS[kind]} may not be empty`);
  const problems = pathSegmentProblems(value);
  if (problems.length > 0) {
    // client-go formats the list with Go's %v: `[a b]`.
    throw new InvalidPathSegmentError(
      kind,
      value,
      `invalid ${LABELS[kind]} ${JSON.stringify(value)}: [${problems.join(' ')}]`,
    );
  }
}
