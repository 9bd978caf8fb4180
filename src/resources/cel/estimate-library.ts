/**
 * The static cost of one function call, not counting its arguments (Go: cel-go `checker/cost.go`
 * `functionCost` for the standard and ext functions, apiserver `pkg/cel/library/cost.go`
 * `EstimateCallCost` for the Kubernetes libraries, cel-go `ext/sets.go` for `sets.*`). A
 * function named nowhere here costs 1, as cel-go's default for O(1) functions.
 */
import type { CelType } from './decl-type.js';
import type { CostEstimator, Estimated } from './estimate.js';
import { addCost, factorCost, mulCost, type SizeRange, UNKNOWN_SIZE } from './estimate-math.js';

const BOOL: CelType = { kind: 'bool' };
const INT: CelType = { kind: 'int' };
const DOUBLE: CelType = { kind: 'double' };
const STRING: CelType = { kind: 'string' };
const DYN: CelType = { kind: 'dyn' };
const STRING_LIST: CelType = { kind: 'list', elem: STRING };
const opaque = (name: string): CelType => ({ kind: 'opaque', name });
const QUANTITY = opaque('kubernetes.Quantity');
const SEMVER = opaque('kubernetes.Semver');
const URL = opaque('kubernetes.URL');
const IP = opaque('net.IP');
const CIDR = opaque('net.CIDR');
const FORMAT = opaque('kubernetes.NamedFormat');

/** A call to estimate: the function, its receiver and its arguments as walked. */
export interface LibraryCall {
  readonly fn: string;
  readonly target: Estimated | undefined;
  readonly args: readonly Estimated[];
  readonly argAsts: readonly unknown[];
  readonly estimator: CostEstimator;
}

/** The call's own cost, result type and, for strings and lists, result size. */
export interface CallEstimate {
  readonly cost: number;
  readonly type: CelType;
  readonly size?: SizeRange;
}

/** Results of the O(1) functions whose type the rule's later operators care about. */
const CONSTANT_RESULT: Record<string, CelType> = {
  size: INT,
  isURL: BOOL,
  getScheme: STRING,
  getHost: STRING,
  getHostname: STRING,
  getPort: STRING,
  getEscapedPath: STRING,
  getQuery: { kind: 'map', key: STRING, elem: STRING_LIST },
  sign: INT,
  asInteger: INT,
  isInteger: BOOL,
  asApproximateFloat: DOUBLE,
  isGreaterThan: BOOL,
  isLessThan: BOOL,
  compareTo: INT,
  add: QUANTITY,
  sub: QUANTITY,
  major: INT,
  minor: INT,
  patch: INT,
  masked: CIDR,
  prefixLength: INT,
  family: INT,
  isUnspecified: BOOL,
  isLoopback: BOOL,
  isLinkLocalMulticast: BOOL,
  isLinkLocalUnicast: BOOL,
  isGlobalUnicast: BOOL,
  'format.named': { kind: 'optional', elem: FORMAT },
  int: INT,
  uint: { kind: 'uint' },
  double: DOUBLE,
  bool: BOOL,
  type: { kind: 'type' },
  duration: { kind: 'duration' },
  timestamp: { kind: 'timestamp' },
  charAt: STRING,
  hasValue: BOOL,
  isSorted: BOOL,
  indexOf: INT,
  lastIndexOf: INT,
};

function literalInt(ast: unknown): number | undefined {
  const node = ast as { op?: string; args?: unknown } | undefined;
  return node?.op === 'value' && typeof node.args === 'bigint' ? Number(node.args) : undefined;
}

/** `replace`'s result size: how many replacements fit, times the replacement, plus what stays. */
function replacedSize(sz: SizeRange, from: SizeRange, to: SizeRange): SizeRange {
  let countMax: number;
  let countMin: number;
  let retainedMax = 0;
  let retainedMin = 0;
  if (from.min === 0) {
    countMax = addCost(sz.max, 1);
    retainedMax = sz.max;
  } else if (to.max <= from.min) {
    countMax = 0;
    retainedMax = sz.max;
  } else {
    countMax = Math.ceil(sz.max / from.min);
  }
  if (from.max === 0) {
    countMin = addCost(sz.min, 1);
    retainedMin = sz.min;
  } else if (from.max <= to.min) {
    countMin = 0;
    retainedMin = sz.min;
  } else {
    countMin = Math.ceil(sz.min / from.max);
  }
  return { min: addCost(mulCost(countMin, to.min), retainedMin), max: addCost(mulCost(countMax, to.max), retainedMax) };
}

/** The estimate of a call's own work (see the module comment). */
export function estimateLibraryCall(call: LibraryCall): CallEstimate {
  const { fn, target, args, estimator: e } = call;
  const size = (x: Estimated | undefined): SizeRange => (x === undefined ? UNKNOWN_SIZE : e.sizeOrUnknown(x));
  const first = args[0];
  switch (fn) {
    case 'matches':
      return {
        cost: mulCost(factorCost(addCost(size(target).max, 1), 0.1), factorCost(size(first).max, 0.25)),
        type: BOOL,
      };
    case 'find':
    case 'findAll':
      return {
        cost: mulCost(factorCost(addCost(size(target).max, 1), 0.1), factorCost(size(first).max, 0.25)),
        type: fn === 'find' ? STRING : STRING_LIST,
        size: { min: 0, max: size(target).max },
      };
    case 'contains':
      return { cost: mulCost(factorCost(size(target).max, 0.1), factorCost(size(first).max, 0.1)), type: BOOL };
    case 'startsWith':
    case 'endsWith':
      return { cost: factorCost(size(first).max, 0.1), type: BOOL };
    case 'lowerAscii':
    case 'upperAscii':
    case 'substring':
    case 'trim':
      if (target === undefined) break;
      return { cost: factorCost(size(target).max, 0.1), type: STRING, size: size(target) };
    case 'replace': {
      if (target === undefined || args.length < 2) break;
      const sz = size(target);
      return {
        cost: factorCost(sz.max, 0.2),
        type: STRING,
        size: replacedSize(sz, size(first), size(args[1])),
      };
    }
    case 'split': {
      if (target === undefined) break;
      const sz = size(target);
      const limit = literalInt(call.argAsts[1]);
      return { cost: factorCost(sz.max, 0.2), type: STRING_LIST, size: { min: 0, max: limit ?? sz.max } };
    }
    case 'join': {
      if (target === undefined) break;
      const list = size(target);
      const elem = e.elementSize(target);
      let sz: SizeRange =
        elem === undefined
          ? { min: 0, max: 0 }
          : { min: mulCost(list.min, elem.min), max: mulCost(list.max, elem.max) };
      if (first !== undefined) {
        const sep = size(first);
        sz = {
          min: addCost(sz.min, mulCost(sep.min, Math.max(list.min - 1, 0))),
          max: addCost(sz.max, mulCost(sep.max, Math.max(list.max - 1, 0))),
        };
      }
      return { cost: factorCost(sz.max, 0.1), type: STRING, size: sz };
    }
    case 'isSorted':
    case 'sum':
    case 'max':
    case 'min':
    case 'indexOf':
    case 'lastIndexOf': {
      if (target === undefined) break;
      const type = CONSTANT_RESULT[fn] ?? target.type.elem ?? DYN;
      if (target.type.kind !== 'list') return { cost: factorCost(size(target).max, 0.1), type };
      const elemKind = target.type.elem?.kind;
      const elemSize = e.elementSize(target) ?? UNKNOWN_SIZE;
      const perElement = elemKind === 'string' || elemKind === 'bytes' ? addCost(1, factorCost(elemSize.max, 0.1)) : 1;
      return { cost: mulCost(size(target).max, perElement), type };
    }
    case 'url':
      return { cost: factorCost(size(first).max, 0.1), type: URL, size: size(first) };
    case 'quantity':
    case 'semver':
    case 'isQuantity':
    case 'isSemver':
    case 'cidr':
    case 'isIP':
    case 'isCIDR': {
      const types: Record<string, CelType> = { quantity: QUANTITY, semver: SEMVER, cidr: CIDR };
      return { cost: factorCost(size(first).max, 0.1), type: types[fn] ?? BOOL };
    }
    case 'ip':
      if (target !== undefined || first === undefined) return { cost: 1, type: IP };
      return { cost: factorCost(size(first).max, 0.1), type: IP };
    case 'ip.isCanonical':
      return { cost: factorCost(size(first).max, 0.2), type: BOOL };
    case 'containsIP':
    case 'containsCIDR': {
      // Two addresses of 4 to 16 bytes compared, plus parsing a string argument.
      let cost = factorCost(32, 0.1);
      if (fn === 'containsCIDR') cost = addCost(cost, factorCost(16, 0.1) + 1);
      const kind = first?.type.kind;
      if (kind === 'string' || kind === 'dyn') cost = addCost(cost, factorCost(size(first).max, 0.1));
      return { cost, type: BOOL };
    }
    case 'validate':
      return {
        cost: factorCost(factorCost(size(first).max, 0.1), 128 * 0.25),
        type: { kind: 'optional', elem: STRING_LIST },
      };
    case 'sets.contains':
    case 'sets.intersects':
    case 'sets.equivalent': {
      const product = mulCost(size(first).max, size(args[1]).max);
      return { cost: addCost(factorCost(product, fn === 'sets.equivalent' ? 2 : 1), 1), type: BOOL };
    }
    case 'strings.quote': {
      const sz = size(first);
      return {
        cost: factorCost(sz.max, 0.1),
        type: STRING,
        size: { min: addCost(sz.min, 2), max: addCost(mulCost(sz.max, 2), 2) },
      };
    }
    case 'format':
      if (target === undefined) break;
      return { cost: factorCost(size(target).max, 0.1), type: STRING };
    case 'string':
      if (target === undefined && first?.type.kind === 'bytes') {
        const sz = size(first);
        return { cost: factorCost(sz.max, 0.1), type: STRING, size: { min: Math.floor(sz.min / 4), max: sz.max } };
      }
      return { cost: 1, type: STRING };
    case 'bytes':
      if (target === undefined && first?.type.kind === 'string') {
        const sz = size(first);
        return {
          cost: factorCost(sz.max, 0.1),
          type: { kind: 'bytes' },
          size: { min: sz.min, max: mulCost(sz.max, 4) },
        };
      }
      return { cost: 1, type: { kind: 'bytes' } };
    case 'value':
    case 'orValue':
      return { cost: 1, type: target?.type.kind === 'optional' ? (target.type.elem ?? DYN) : DYN };
    case 'optional.of':
    case 'optional.ofNonZeroValue':
      return { cost: 1, type: { kind: 'optional', elem: first?.type ?? DYN } };
  }
  const known = CONSTANT_RESULT[fn];
  if (known !== undefined) return { cost: 1, type: known };
  if (fn.startsWith('format.')) return { cost: 1, type: FORMAT };
  // The timestamp and duration getters (getHours, getDayOfMonth, ...).
  if (/^get[A-Z]/.test(fn)) return { cost: 1, type: INT };
  return { cost: 1, type: DYN };
}
