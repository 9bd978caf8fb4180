/**
 * The basics of `ValidatePodSpec` and `ValidatePodTemplateSpec` (`pkg/apis/core/validation`, 1.33):
 * volumes (names, one source each), containers and init containers (at least one container,
 * names unique DNS labels, an image, ports, volume mounts that name a volume at unique paths,
 * pull policy, env names present), and the restart policy. The resource, probe, security-context
 * and scheduling rules are not ported.
 *
 * Fields the real server defaults before validating (`restartPolicy`, `imagePullPolicy`, a port's
 * `protocol`) are checked when present: without the emulator's defaulting they may be absent.
 */
import { isPlainObject } from '../../core/index.js';
import { protobufMessage } from '../codec/protobuf-schema.js';
import type { FieldErrors } from './field-errors.js';
import { isDns1123Label, isValidPortName, isValidPortNum } from './names.js';
import { validateAnnotations, validateLabels } from './object-meta.js';

type Obj = Record<string, unknown>;

function objectAt(value: unknown): Obj {
  return isPlainObject(value) ? value : {};
}

function listAt(value: unknown): Obj[] {
  return Array.isArray(value) ? value.map(objectAt) : [];
}

let volumeSources: readonly string[] | undefined;

/**
 * The JSON names of `VolumeSource`'s fields (the volume types), read from the protobuf schema
 * table, `emptyDir` first as `validateVolumeSource` looks at it first.
 */
function volumeSourceNames(): readonly string[] {
  if (volumeSources === undefined) {
    const names = (protobufMessage('k8s.io.api.core.v1.VolumeSource')?.fields ?? []).map((f) => f.jsonName);
    volumeSources = ['emptyDir', ...names.filter((n) => n !== 'emptyDir')];
  }
  return volumeSources;
}

/** `ValidateVolumes`: names are unique DNS labels, each volume has exactly one source. */
function validateVolumes(volumes: Obj[], path: string, errs: FieldErrors): Set<string> {
  const names = new Set<string>();
  volumes.forEach((volume, i) => {
    const at = `${path}[${i}]`;
    const before = errs.length;
    const sources = volumeSourceNames().filter((s) => volume[s] !== undefined && volume[s] !== null);
    if (sources.length === 0) errs.required(at, 'must specify a volume type');
    for (const extra of sources.slice(1)) errs.forbidden(`${at}.${extra}`, 'may not specify more than 1 volume type');
    const name = typeof volume.name === 'string' ? volume.name : '';
    if (name === '') errs.required(`${at}.name`);
    else for (const msg of isDns1123Label(name)) errs.invalid(`${at}.name`, name, msg);
    if (names.has(name)) errs.duplicate(`${at}.name`, name);
    if (errs.length === before) names.add(name);
  });
  return names;
}

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

/** `validateContainerPorts`. */
function validatePorts(ports: Obj[], path: string, errs: FieldErrors): void {
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const at = `${path}[${i}]`;
    const name = typeof port.name === 'string' ? port.name : '';
    if (name !== '') {
      const msgs = isValidPortName(name);
      for (const msg of msgs) errs.invalid(`${at}.name`, name, msg);
      if (msgs.length === 0) {
        if (names.has(name)) errs.duplicate(`${at}.name`, name);
        else names.add(name);
      }
    }
    const containerPort = typeof port.containerPort === 'number' ? port.containerPort : 0;
    if (containerPort === 0) errs.required(`${at}.containerPort`);
    else for (const msg of isValidPortNum(containerPort)) errs.invalid(`${at}.containerPort`, containerPort, msg);
    if (typeof port.hostPort === 'number' && port.hostPort !== 0) {
      for (const msg of isValidPortNum(port.hostPort)) errs.invalid(`${at}.hostPort`, port.hostPort, msg);
    }
    if (typeof port.protocol === 'string' && port.protocol !== '' && !PROTOCOLS.includes(port.protocol)) {
      errs.notSupported(`${at}.protocol`, port.protocol, PROTOCOLS);
    }
  });
}

/** `ValidateVolumeMounts`: a name that is a volume, a mount path, each path once. */
function validateMounts(mounts: Obj[], volumes: Set<string>, path: string, errs: FieldErrors): void {
  const paths = new Set<string>();
  mounts.forEach((mount, i) => {
    const at = `${path}[${i}]`;
    const name = typeof mount.name === 'string' ? mount.name : '';
    if (name === '') errs.required(`${at}.name`);
    if (!volumes.has(name)) errs.notFound(`${at}.name`, name);
    const mountPath = typeof mount.mountPath === 'string' ? mount.mountPath : '';
    if (mountPath === '') errs.required(`${at}.mountPath`);
    if (paths.has(mountPath)) errs.invalid(`${at}.mountPath`, mountPath, 'must be unique');
    paths.add(mountPath);
  });
}

/** One container's own checks (`validateContainerCommon` basics). */
function validateContainer(container: Obj, volumes: Set<string>, path: string, errs: FieldErrors): void {
  if (typeof container.image !== 'string' || container.image === '') errs.required(`${path}.image`);
  const pull = container.imagePullPolicy;
  if (typeof pull === 'string' && pull !== '' && !PULL_POLICIES.includes(pull)) {
    errs.notSupported(`${path}.imagePullPolicy`, pull, PULL_POLICIES);
  }
  validatePorts(listAt(container.ports), `${path}.ports`, errs);
  listAt(container.env).forEach((env, i) => {
    if (typeof env.name !== 'string' || env.name === '') errs.required(`${path}.env[${i}].name`);
  });
  validateMounts(listAt(container.volumeMounts), volumes, `${path}.volumeMounts`, errs);
}

/** Container names: required, DNS labels, unique across init and regular containers. */
function validateContainerName(container: Obj, names: Set<string>, path: string, errs: FieldErrors): void {
  const name = typeof container.name === 'string' ? container.name : '';
  if (name === '') errs.required(`${path}.name`);
  else {
    for (const msg of isDns1123Label(name)) errs.invalid(`${path}.name`, name, msg);
    if (names.has(name)) errs.duplicate(`${path}.name`, name);
    else names.add(name);
  }
}

/** `ValidatePodSpec` basics for the spec at `path` (`spec` of a Pod, `spec.template.spec` of a workload). */
export function validatePodSpec(spec: Obj, path: string, errs: FieldErrors): void {
  const volumes = validateVolumes(listAt(spec.volumes), `${path}.volumes`, errs);
  const names = new Set<string>();
  const containers = listAt(spec.containers);
  if (containers.length === 0) errs.required(`${path}.containers`);
  // Containers first, then init containers, whose names must differ from every container's.
  containers.forEach((c, i) => {
    const at = `${path}.containers[${i}]`;
    validateContainerName(c, names, at, errs);
    validateContainer(c, volumes, at, errs);
  });
  listAt(spec.initContainers).forEach((c, i) => {
    const at = `${path}.initContainers[${i}]`;
    validateContainerName(c, names, at, errs);
    validateContainer(c, volumes, at, errs);
  });
  const restart = spec.restartPolicy;
  if (typeof restart === 'string' && restart !== '' && !['Always', 'OnFailure', 'Never'].includes(restart)) {
    errs.notSupported(`${path}.restartPolicy`, restart, ['Always', 'OnFailure', 'Never']);
  }
  if (typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds <= 0) {
    errs.invalid(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be greater than 0');
  }
  if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) {
    errs.invalid(
      `${path}.terminationGracePeriodSeconds`,
      spec.terminationGracePeriodSeconds,
      'must be greater than or equal to 0',
    );
  }
}

/** `ValidatePodTemplateSpec`: the template's labels and annotations, then its Pod spec. */
export function validatePodTemplateSpec(template: unknown, path: string, errs: FieldErrors): void {
  const t = objectAt(template);
  const meta = objectAt(t.metadata);
  validateLabels(meta.labels, `${path}.labels`, errs);
  validateAnnotations(meta.annotations, `${path}.annotations`, errs);
  validatePodSpec(objectAt(t.spec), `${path}.spec`, errs);
}
