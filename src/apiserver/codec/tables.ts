/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the columns
 * `kubectl get` shows for each type, with the cells computed as kubectl's printers do, and ages
 * as kubectl's `HumanDuration` spells them (`45s`, `5m2s`, `3h`, `2d5h`).
 */
import { isPlainObject, type KubeObject, type LabelSelectorSpec, labelSelectorFromSpec } from '../../core/index.js';
import { type PrinterColumnType, printerColumnCell } from '../../resources/index.js';
import type { ServedType } from '../served/served-types.js';
import { humanDuration } from './human-duration.js';
import { podCells } from './pod-printer.js';

export { humanDuration } from './human-duration.js';

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

const col = (
  name: string,
  type: TableColumn['type'] | 'boolean' = 'string',
  format = '',
  description = '',
  priority = 0,
): TableColumn => ({
  name,
  type: type as TableColumn['type'],
  format,
  description,
  priority,
});

/** A column kubectl shows only with `-o wide` (priority 1). */
const wide = (name: string, description = ''): TableColumn => col(name, 'string', '', description, 1);
const CONTAINERS = wide('Containers', 'Names of each container in the template.');
const IMAGES = wide('Images', 'Images referenced by each container in the template.');
const SELECTOR = wide('Selector');

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

/** `translateTimestampSince`: the age of a timestamp, `<unknown>` without one. */
function since(ts: unknown, now: number): string {
  const ms = typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
  return Number.isFinite(ms) ? humanDuration(now - ms) : '<unknown>';
}

/** `layoutContainerCells`: container names and images, comma-separated. */
function containerCells(podSpec: unknown): [string, string] {
  const list =
    isPlainObject(podSpec) && Array.isArray(podSpec.containers) ? podSpec.containers.filter(isPlainObject) : [];
  return [list.map((c) => String(c.name ?? '')).join(','), list.map((c) => String(c.image ?? '')).join(',')];
}

/** `metav1.FormatLabelSelector`. */
function selectorText(selector: unknown): string {
  if (!isPlainObject(selector)) return '<none>';
  try {
    const text = labelSelectorFromSpec(selector as LabelSelectorSpec).toString();
    return text === '' ? '<none>' : text;
  } catch {
    return '<error>';
  }
}

/** `labels.FormatLabels`: `k=v` sorted by key, `<none>` when empty. */
function labelsText(map: unknown): string {
  if (!isPlainObject(map)) return '<none>';
  const keys = Object.keys(map).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${String(map[k])}`).join(',');
}

function trueCondition(obj: KubeObject, type: string): boolean {
  const list = get(obj, ['status', 'conditions']);
  if (!Array.isArray(list)) return false;
  const c = list.filter(isPlainObject).find((x) => x.type === type);
  return c?.status === 'True';
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
    columns: [
      NAME,
      col('Ready', 'string', '', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', '', 'The aggregate status of the containers in this pod.'),
      col(
        'Restarts',
        'string',
        '',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ),
      AGE,
      wide('IP'),
      wide('Node'),
      wide('Nominated Node'),
      wide('Readiness Gates'),
    ],
    cells: (o, now) => {
      const { ready, reason, restarts } = podCells(o, now);
      const ips = get(o, ['status', 'podIPs']);
      const ip = Array.isArray(ips) && isPlainObject(ips[0]) && typeof ips[0].ip === 'string' ? ips[0].ip : '';
      const node = get(o, ['spec', 'nodeName']);
      const nominated = get(o, ['status', 'nominatedNodeName']);
      const gates = get(o, ['spec', 'readinessGates']);
      let gatesText = '<none>';
      if (Array.isArray(gates) && gates.length > 0) {
        const trueOnes = gates.filter((g) => isPlainObject(g) && trueCondition(o, String(g.conditionType))).length;
        gatesText = `${trueOnes}/${gates.length}`;
      }
      return [
        String(o.metadata.name),
        ready,
        reason,
        restarts,
        age(o, now),
        ip || '<none>',
        typeof node === 'string' && node !== '' ? node : '<none>',
        typeof nominated === 'string' && nominated !== '' ? nominated : '<none>',
        gatesText,
      ];
    },
  },
  'apps/deployments': {
    columns: [NAME, col('Ready'), col('Up-to-date'), col('Available'), AGE, CONTAINERS, IMAGES, SELECTOR],
    cells: (o, now) => {
      const replicas = get(o, ['spec', 'replicas']);
      const desired = typeof replicas === 'number' ? replicas : 1;
      return [
        String(o.metadata.name),
        `${num(get(o, ['status', 'readyReplicas']))}/${desired}`,
        num(get(o, ['status', 'updatedReplicas'])),
        num(get(o, ['status', 'availableReplicas'])),
        age(o, now),
        ...containerCells(get(o, ['spec', 'template', 'spec'])),
        selectorText(get(o, ['spec', 'selector'])),
      ];
    },
  },
  'apps/replicasets': {
    columns: [
      NAME,
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    cells: (o, now) => [
      String(o.metadata.name),
      num(get(o, ['spec', 'replicas'])),
      num(get(o, ['status', 'replicas'])),
      num(get(o, ['status', 'readyReplicas'])),
      age(o, now),
      ...containerCells(get(o, ['spec', 'template', 'spec'])),
      selectorText(get(o, ['spec', 'selector'])),
    ],
  },
  'apps/statefulsets': {
    columns: [NAME, col('Ready'), AGE, CONTAINERS, IMAGES],
    cells: (o, now) => {
      const replicas = get(o, ['spec', 'replicas']);
      return [
        String(o.metadata.name),
        `${num(get(o, ['status', 'readyReplicas']))}/${typeof replicas === 'number' ? replicas : 1}`,
        age(o, now),
        ...containerCells(get(o, ['spec', 'template', 'spec'])),
      ];
    },
  },
  'apps/daemonsets': {
    columns: [
      NAME,
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Node Selector'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    cells: (o, now) => [
      String(o.metadata.name),
      num(get(o, ['status', 'desiredNumberScheduled'])),
      num(get(o, ['status', 'currentNumberScheduled'])),
      num(get(o, ['status', 'numberReady'])),
      num(get(o, ['status', 'updatedNumberScheduled'])),
      num(get(o, ['status', 'numberAvailable'])),
      labelsText(get(o, ['spec', 'template', 'spec', 'nodeSelector'])),
      age(o, now),
      ...containerCells(get(o, ['spec', 'template', 'spec'])),
      selectorText(get(o, ['spec', 'selector'])),
    ],
  },
  'batch/jobs': {
    columns: [
      NAME,
      col('Status', 'string', '', 'Status of the job.'),
      col('Completions'),
      col('Duration', 'string', '', 'Time required to complete the job.'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    cells: (o, now) => {
      const succeeded = num(get(o, ['status', 'succeeded']));
      const completions = get(o, ['spec', 'completions']);
      const parallelism = num(get(o, ['spec', 'parallelism']));
      const completionsText =
        typeof completions === 'number'
          ? `${succeeded}/${completions}`
          : parallelism > 1
            ? `${succeeded}/1 of ${parallelism}`
            : `${succeeded}/1`;
      const start = Date.parse(String(get(o, ['status', 'startTime']) ?? ''));
      const end = Date.parse(String(get(o, ['status', 'completionTime']) ?? ''));
      const duration = !Number.isFinite(start) ? '' : humanDuration((Number.isFinite(end) ? end : now) - start);
      let status = 'Running';
      if (trueCondition(o, 'Complete')) status = 'Complete';
      else if (trueCondition(o, 'Failed')) status = 'Failed';
      else if (o.metadata.deletionTimestamp) status = 'Terminating';
      else if (trueCondition(o, 'Suspended')) status = 'Suspended';
      else if (trueCondition(o, 'FailureTarget')) status = 'FailureTarget';
      return [
        String(o.metadata.name),
        status,
        completionsText,
        duration,
        age(o, now),
        ...containerCells(get(o, ['spec', 'template', 'spec'])),
        selectorText(get(o, ['spec', 'selector'])),
      ];
    },
  },
  'batch/cronjobs': {
    columns: [
      NAME,
      col('Schedule'),
      col('Timezone'),
      col('Suspend', 'boolean'),
      col('Active', 'integer'),
      col('Last Schedule'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    cells: (o, now) => {
      const suspend = get(o, ['spec', 'suspend']);
      const last = get(o, ['status', 'lastScheduleTime']);
      const active = get(o, ['status', 'active']);
      const zone = get(o, ['spec', 'timeZone']);
      return [
        String(o.metadata.name),
        String(get(o, ['spec', 'schedule']) ?? ''),
        typeof zone === 'string' ? zone : '<none>',
        typeof suspend === 'boolean' ? (suspend ? 'True' : 'False') : '<unset>',
        Array.isArray(active) ? active.length : 0,
        last === undefined ? '<none>' : since(last, now),
        age(o, now),
        ...containerCells(get(o, ['spec', 'jobTemplate', 'spec', 'template', 'spec'])),
        selectorText(get(o, ['spec', 'jobTemplate', 'spec', 'selector'])),
      ];
    },
  },
  '/nodes': {
    columns: [
      NAME,
      col('Status', 'string', '', 'The status of the node'),
      col('Roles', 'string', '', 'The roles of the node'),
      AGE,
      col('Version'),
      wide('Internal-IP'),
      wide('External-IP'),
      wide('OS-Image'),
      wide('Kernel-Version'),
      wide('Container-Runtime'),
    ],
    cells: (o, now) => {
      const conditions = get(o, ['status', 'conditions']);
      const ready = Array.isArray(conditions)
        ? conditions.filter(isPlainObject).find((c) => c.type === 'Ready')
        : undefined;
      const status = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
      if (get(o, ['spec', 'unschedulable']) === true) status.push('SchedulingDisabled');
      const roles = new Set<string>();
      for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
        if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) {
          roles.add(k.slice('node-role.kubernetes.io/'.length));
        } else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
      }
      const addresses = get(o, ['status', 'addresses']);
      const address = (type: string) => {
        const found = Array.isArray(addresses)
          ? addresses.filter(isPlainObject).find((a) => a.type === type)
          : undefined;
        return typeof found?.address === 'string' ? found.address : '<none>';
      };
      const info = (field: string) => {
        const v = get(o, ['status', 'nodeInfo', field]);
        return typeof v === 'string' && v !== '' ? v : '<unknown>';
      };
      return [
        String(o.metadata.name),
        status.join(','),
        roles.size > 0 ? [...roles].sort().join(',') : '<none>',
        age(o, now),
        String(get(o, ['status', 'nodeInfo', 'kubeletVersion']) ?? ''),
        address('InternalIP'),
        address('ExternalIP'),
        info('osImage'),
        info('kernelVersion'),
        info('containerRuntimeVersion'),
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
