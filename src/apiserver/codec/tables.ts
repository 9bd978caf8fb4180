/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the columns
 * `kubectl get` shows for each type, with the cells computed as kubectl's printers do, and ages
 * as kubectl's `HumanDuration` spells them (`45s`, `5m2s`, `3h`, `2d5h`).
 */
import { isPlainObject, type KubeObject } from '../../core/index.js';
import { type PrinterColumnType, printerColumnCell } from '../../resources/index.js';
import type { ServedType } from '../served/served-types.js';

/** One `columnDefinitions[]` entry. */
export interface TableColumn {
  name: string;
  type: PrinterColumnType;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean | null;

interface Printer {
  columns: TableColumn[];
  cells(obj: KubeObject, now: number): Cell[];
}

const col = (name: string, type: TableColumn['type'] = 'string', format = '', description = ''): TableColumn => ({
  name,
  type,
  format,
  description,
  priority: 0,
});

const NAME = col('Name', 'string', 'name', 'Name must be unique within a namespace.');
const AGE = col(
  'Age',
  'string',
  '',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);
const CREATED = col(
  'Created At',
  'date',
  '',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);

/** kubectl's `duration.HumanDuration`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (hours < 24 * 365 * 8) {
    const d = Math.floor(hours / 24) % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

function age(obj: KubeObject, now: number): string {
  const ts = obj.metadata.creationTimestamp;
  if (!ts) return '<unknown>';
  return humanDuration(now - Date.parse(ts));
}

function get(obj: unknown, path: readonly string[]): unknown {
  let v: unknown = obj;
  for (const p of path) {
    if (!isPlainObject(v)) return undefined;
    v = v[p];
  }
  return v;
}

function count(v: unknown): number {
  return isPlainObject(v) ? Object.keys(v).length : 0;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

const PRINTERS: Record<string, Printer> = {
  '/configmaps': {
    columns: [NAME, col('Data', 'integer'), AGE],
    cells: (o, now) => [String(o.metadata.name), count(o.data) + count(o.binaryData), age(o, now)],
  },
  '/secrets': {
    columns: [NAME, col('Type'), col('Data', 'integer'), AGE],
    cells: (o, now) => [String(o.metadata.name), String(o.type ?? ''), count(o.data), age(o, now)],
  },
  '/namespaces': {
    columns: [NAME, col('Status'), AGE],
    cells: (o, now) => [String(o.metadata.name), String(get(o, ['status', 'phase']) ?? ''), age(o, now)],
  },
  '/pods': {
    columns: [NAME, col('Ready'), col('Status'), col('Restarts', 'integer'), AGE],
    cells: (o, now) => {
      const containers = get(o, ['spec', 'containers']);
      const statuses = get(o, ['status', 'containerStatuses']);
      const list = Array.isArray(statuses) ? statuses.filter(isPlainObject) : [];
      const ready = list.filter((s) => s.ready === true).length;
      const restarts = list.reduce((n, s) => n + num(s.restartCount), 0);
      const total = Array.isArray(containers) ? containers.length : 0;
      const phase = String(get(o, ['status', 'reason']) ?? get(o, ['status', 'phase']) ?? 'Unknown');
      return [
        String(o.metadata.name),
        `${ready}/${total}`,
        o.metadata.deletionTimestamp ? 'Terminating' : phase,
        restarts,
        age(o, now),
      ];
    },
  },
  'apps/deployments': {
    columns: [NAME, col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), AGE],
    cells: (o, now) => {
      const replicas = get(o, ['spec', 'replicas']);
      const desired = typeof replicas === 'number' ? replicas : 1;
      return [
        String(o.metadata.name),
        `${num(get(o, ['status', 'readyReplicas']))}/${desired}`,
        num(get(o, ['status', 'updatedReplicas'])),
        num(get(o, ['status', 'availableReplicas'])),
        age(o, now),
      ];
    },
  },
  '/services': {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE],
    cells: (o, now) => {
      const ports = get(o, ['spec', 'ports']);
      const text = Array.isArray(ports)
        ? ports
            .filter(isPlainObject)
            .map(
              (p) =>
                `${String(p.port)}${p.nodePort !== undefined ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`,
            )
            .join(',')
        : '';
      const external = get(o, ['spec', 'externalIPs']);
      return [
        String(o.metadata.name),
        String(get(o, ['spec', 'type']) ?? 'ClusterIP'),
        String(get(o, ['spec', 'clusterIP']) ?? '<none>'),
        Array.isArray(external) && external.length > 0 ? external.join(',') : '<none>',
        text === '' ? '<none>' : text,
        age(o, now),
      ];
    },
  },
  'coordination.k8s.io/leases': {
    columns: [NAME, col('Holder'), AGE],
    cells: (o, now) => [String(o.metadata.name), String(get(o, ['spec', 'holderIdentity']) ?? ''), age(o, now)],
  },
  'apiextensions.k8s.io/customresourcedefinitions': {
    columns: [NAME, CREATED],
    cells: (o) => [String(o.metadata.name), String(o.metadata.creationTimestamp ?? '')],
  },
  '/events': {
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Message')],
    cells: (o, now) => {
      const last = String(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp ?? '');
      const involved = isPlainObject(o.involvedObject) ? o.involvedObject : {};
      return [
        last ? humanDuration(now - Date.parse(last)) : '<unknown>',
        String(o.type ?? ''),
        String(o.reason ?? ''),
        `${String(involved.kind ?? '').toLowerCase()}/${String(involved.name ?? '')}`,
        String(o.message ?? ''),
      ];
    },
  },
};

const DEFAULT: Printer = {
  columns: [NAME, CREATED],
  cells: (o) => [String(o.metadata.name), String(o.metadata.creationTimestamp ?? '')],
};

/** The column a CRD version without printer columns gets (apiextensions `serveDefaultColumnsIfEmpty`). */
const DEFAULT_CUSTOM_COLUMNS: Record<string, unknown>[] = [
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

const COLUMN_TYPES = new Set<string>(['integer', 'number', 'boolean', 'string', 'date']);

/**
 * The printer of a custom resource version (apiextensions `tableconvertor`): Name, then the
 * version's `additionalPrinterColumns` (only an Age column when it has none), each cell the first
 * value its JSONPath finds (filters included), typed as the column says, `null` when missing.
 */
function customPrinter(served: ServedType): Printer {
  const raw = served.crdVersion?.additionalPrinterColumns;
  const declared = Array.isArray(raw) ? raw.filter(isPlainObject) : [];
  const extra = declared.length > 0 ? declared : DEFAULT_CUSTOM_COLUMNS;
  const specs = extra.map((c) => ({
    type: (COLUMN_TYPES.has(String(c.type)) ? c.type : 'string') as PrinterColumnType,
    jsonPath: String(c.jsonPath ?? ''),
  }));
  const columns = [
    NAME,
    ...extra.map((c, i) => ({
      name: String(c.name),
      type: specs[i].type,
      format: String(c.format ?? ''),
      description: String(c.description ?? (c.jsonPath === '.metadata.creationTimestamp' ? AGE.description : '')),
      priority: typeof c.priority === 'number' ? c.priority : 0,
    })),
  ];
  return {
    columns,
    cells: (o, now) => {
      const formatDate = (ts: string) => humanDuration(now - Date.parse(ts));
      return [String(o.metadata.name), ...specs.map((c) => printerColumnCell(c, o, { formatDate }))];
    },
  };
}

/** The printer of a served type. */
export function printerOf(served: ServedType): Printer {
  if (served.custom) return customPrinter(served);
  return PRINTERS[served.storeId] ?? DEFAULT;
}

/** `includeObject` of TableOptions: what each row carries. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** PartialObjectMetadata of an object. */
export function partialMetadata(obj: KubeObject, version: string): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

/** A Table of `objects` (JSON text). */
export function tableJson(
  served: ServedType,
  objects: readonly { object: KubeObject; json: string }[],
  meta: Record<string, unknown>,
  options: { version: string; include: IncludeObject; now?: number; headers?: boolean },
): string {
  const printer = printerOf(served);
  const now = options.now ?? Date.now();
  const conversion = served.conversion;
  const rows = objects.map((stored) => {
    // Cells and the embedded object are the served version's.
    const object = conversion ? conversion.fromStorage(stored.object) : stored.object;
    const json = conversion ? JSON.stringify(object) : stored.json;
    const cells = JSON.stringify(printer.cells(object, now));
    if (options.include === 'None') return `{"cells":${cells}}`;
    const obj = options.include === 'Object' ? json : JSON.stringify(partialMetadata(object, options.version));
    return `{"cells":${cells},"object":${obj}}`;
  });
  const columns = options.headers === false ? '[]' : JSON.stringify(printer.columns);
  return `{"kind":"Table","apiVersion":"meta.k8s.io/${options.version}","metadata":${JSON.stringify(meta)},"columnDefinitions":${columns},"rows":[${rows.join(',')}]}`;
}

/** Parses `includeObject` (default Metadata). */
export function includeObjectOf(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}
