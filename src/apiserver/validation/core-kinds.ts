/**
 * Validation of the core kinds other than Pods, ported from `pkg/apis/core/validation/validation.go`
 * (1.33): ConfigMap and Secret (data keys, Secret types and the keys each needs, `immutable`),
 * Namespace, ServiceAccount (metadata only), Service (ports, type, selector, session affinity,
 * ExternalName) and, from `pkg/apis/coordination/validation`, Lease. The metadata checks every kind
 * shares are `object-meta.ts`'s; the data sizes are measured by `limits/object-size.ts`.
 *
 * Fields the real server always defaults before validating (a Service's `type`, a port's
 * `protocol`) are checked when present: without the emulator's defaulting they may be absent, and
 * absent upstream means "the default".
 */
import { deepEqual, isPlainObject, type KubeObject } from '../../core/index.js';
import { configMapDataBytes, MAX_DATA_BYTES, secretDataBytes } from '../limits/object-size.js';
import { type FieldErrors, GoSyntax, goQuote, keyPath } from './field-errors.js';
import {
  isConfigMapKey,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
} from './names.js';
import { validateLabels } from './object-meta.js';

type Obj = Record<string, unknown>;

function objectAt(value: unknown): Obj {
  return isPlainObject(value) ? value : {};
}

function validateDataKeys(data: unknown, path: string, errs: FieldErrors): void {
  if (!isPlainObject(data)) return;
  for (const key of Object.keys(data))
    for (const msg of isConfigMapKey(key)) errs.invalid(keyPath(path, key), key, msg);
}

/** `ValidateConfigMap` (keys, total size) and, on update, `ValidateConfigMapUpdate` (`immutable`). */
export function validateConfigMap(obj: KubeObject, old: KubeObject | undefined, errs: FieldErrors): void {
  if (old?.immutable === true) {
    if (obj.immutable !== true) errs.forbidden('immutable', 'field is immutable when `immutable` is set');
    if (!sameMap(obj.data, old.data)) errs.forbidden('data', 'field is immutable when `immutable` is set');
    if (!sameMap(obj.binaryData, old.binaryData)) {
      errs.forbidden('binaryData', 'field is immutable when `immutable` is set');
    }
  }
  validateDataKeys(obj.data, 'data', errs);
  const binary = objectAt(obj.binaryData);
  if (isPlainObject(obj.data)) {
    for (const key of Object.keys(obj.data)) {
      if (key in binary) errs.invalid(keyPath('data', key), key, 'duplicate of key present in binaryData');
    }
  }
  validateDataKeys(obj.binaryData, 'binaryData', errs);
  // The whole object is at fault: `field.NewPath("")`, which prints as `[]`.
  if (configMapDataBytes(obj) > MAX_DATA_BYTES) errs.tooLong('[]', MAX_DATA_BYTES);
}

/** `reflect.DeepEqual` of two maps as upstream compares `data` (a nil map differs from an empty one). */
function sameMap(a: unknown, b: unknown): boolean {
  if ((a === undefined || a === null) !== (b === undefined || b === null)) return false;
  return deepEqual(a ?? null, b ?? null);
}

const SECRET_REDACTED = '<secret contents redacted>';

/** The error Go's `json.Unmarshal` into a map gives for `text`, or undefined when it decodes. */
function goJsonMapError(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const trimmed = text.trimStart();
    if (trimmed === '') return 'unexpected end of JSON input';
    const first = trimmed[0];
    if (!'{["-0123456789tfn'.includes(first)) return `invalid character '${first}' looking for beginning of value`;
    // A literal that goes wrong names the character and what it expected (Go's scanner).
    for (const literal of ['true', 'false', 'null']) {
      if (first !== literal[0]) continue;
      for (let i = 1; i < literal.length; i++) {
        if (i >= trimmed.length) return 'unexpected end of JSON input';
        if (trimmed[i] !== literal[i]) {
          return `invalid character '${trimmed[i]}' in literal ${literal} (expecting '${literal[i]}')`;
        }
      }
    }
    return 'unexpected end of JSON input';
  }
  if (parsed === null || isPlainObject(parsed)) return undefined;
  const kind = Array.isArray(parsed) ? 'array' : typeof parsed === 'boolean' ? 'bool' : typeof parsed;
  return `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`;
}

function hasKey(data: Obj, key: string): boolean {
  return Object.hasOwn(data, key);
}

/** `ValidateSecret` (keys, total size, the keys each type needs) and `ValidateSecretUpdate` (type, `immutable`). */
export function validateSecret(obj: KubeObject, old: KubeObject | undefined, errs: FieldErrors): void {
  if (old !== undefined) {
    const type = String(obj.type ?? '');
    const oldType = String(old.type ?? '');
    if (type !== oldType) errs.invalid('type', type, 'field is immutable');
    if (old.immutable === true) {
      if (obj.immutable !== true) errs.forbidden('immutable', 'field is immutable when `immutable` is set');
      if (!sameMap(obj.data, old.data)) errs.forbidden('data', 'field is immutable when `immutable` is set');
    }
  }
  validateDataKeys(obj.data, 'data', errs);
  if (secretDataBytes(obj) > MAX_DATA_BYTES) errs.tooLong('data', MAX_DATA_BYTES);
  const data = objectAt(obj.data);
  const decoded = (key: string) => Buffer.from(String(data[key] ?? ''), 'base64').toString('utf8');
  switch (obj.type) {
    case 'kubernetes.io/service-account-token': {
      const annotations = objectAt(obj.metadata.annotations);
      const sa = annotations['kubernetes.io/service-account.name'];
      if (typeof sa !== 'string' || sa === '') {
        errs.required(keyPath('metadata.annotations', 'kubernetes.io/service-account.name'));
      }
      break;
    }
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key = obj.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!hasKey(data, key)) {
        errs.required(keyPath('data', key));
        break;
      }
      const problem = goJsonMapError(decoded(key));
      if (problem !== undefined) errs.invalid(keyPath('data', key), SECRET_REDACTED, problem);
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!hasKey(data, 'username') && !hasKey(data, 'password')) {
        errs.required(keyPath('data', 'username'));
        errs.required(keyPath('data', 'password'));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (String(data['ssh-privatekey'] ?? '') === '') errs.required(keyPath('data', 'ssh-privatekey'));
      break;
    case 'kubernetes.io/tls':
      if (!hasKey(data, 'tls.crt')) errs.required(keyPath('data', 'tls.crt'));
      if (!hasKey(data, 'tls.key')) errs.required(keyPath('data', 'tls.key'));
      break;
  }
}

/** `ValidateNamespace`: the spec's finalizers are qualified names or standard (`kubernetes`). */
export function validateNamespace(obj: KubeObject, errs: FieldErrors): void {
  const finalizers = objectAt(obj.spec).finalizers;
  if (!Array.isArray(finalizers)) return;
  for (const f of finalizers) {
    const name = String(f);
    for (const msg of isQualifiedName(name)) errs.invalid('spec.finalizers', name, msg);
    if (!name.includes('/') && name !== 'kubernetes') {
      errs.invalid('spec.finalizers', name, 'name is neither a standard finalizer name nor is it fully qualified');
    }
  }
}

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** Go's `%#v` of a `core.ServicePort` keyed by protocol and port (what a duplicate port prints). */
function goServicePortKey(protocol: string, port: number): GoSyntax {
  return new GoSyntax(
    `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

/** `ValidatePortNumOrName` for a `targetPort` (an `IntOrString`; 0 and "" are defaulted to `port`). */
function validateTargetPort(value: unknown, path: string, errs: FieldErrors): void {
  if (typeof value === 'number') {
    if (value === 0) return;
    for (const msg of isValidPortNum(value)) errs.invalid(path, value, msg);
  } else if (typeof value === 'string' && value !== '') {
    for (const msg of isValidPortName(value)) errs.invalid(path, value, msg);
  }
}

/** `ValidateService`: ports, type, selector, session affinity, ExternalName. */
export function validateService(obj: KubeObject, errs: FieldErrors): void {
  const spec = objectAt(obj.spec);
  const type = typeof spec.type === 'string' && spec.type !== '' ? spec.type : 'ClusterIP';
  const ports = Array.isArray(spec.ports) ? spec.ports.map(objectAt) : [];
  const headless = spec.clusterIP === 'None';
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.required('spec.ports');
  if (type === 'ExternalName') {
    if (Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0) {
      errs.forbidden('spec.clusterIPs', 'may not be set for ExternalName services');
    }
    const cname = String(spec.externalName ?? '').replace(/\.$/, '');
    if (cname === '') errs.required('spec.externalName');
    else for (const msg of isDns1123Subdomain(cname)) errs.invalid('spec.externalName', cname, msg);
  }
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const at = `spec.ports[${i}]`;
    const name = typeof port.name === 'string' ? port.name : '';
    if (ports.length > 1 && name === '') errs.required(`${at}.name`);
    else if (name !== '') {
      for (const msg of isDns1123Label(name)) errs.invalid(`${at}.name`, name, msg);
      if (names.has(name)) errs.duplicate(`${at}.name`, name);
      else names.add(name);
    }
    const number = typeof port.port === 'number' ? port.port : 0;
    for (const msg of isValidPortNum(number)) errs.invalid(`${at}.port`, number, msg);
    if (typeof port.protocol === 'string' && port.protocol !== '' && !PROTOCOLS.includes(port.protocol)) {
      errs.notSupported(`${at}.protocol`, port.protocol, PROTOCOLS);
    }
    validateTargetPort(port.targetPort, `${at}.targetPort`, errs);
    if (typeof port.appProtocol === 'string') {
      for (const msg of isQualifiedName(port.appProtocol)) errs.invalid(`${at}.appProtocol`, port.appProtocol, msg);
    }
  });
  if (isPlainObject(spec.selector)) validateLabels(spec.selector, 'spec.selector', errs);
  const affinity = spec.sessionAffinity;
  if (typeof affinity === 'string' && affinity !== '' && affinity !== 'ClientIP' && affinity !== 'None') {
    errs.notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']);
  }
  if (typeof spec.type === 'string' && spec.type !== '' && !SERVICE_TYPES.includes(spec.type)) {
    errs.notSupported('spec.type', spec.type, SERVICE_TYPES);
  }
  if (type === 'ClusterIP') {
    ports.forEach((port, i) => {
      if (typeof port.nodePort === 'number' && port.nodePort !== 0) {
        errs.forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'");
      }
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((port, i) => {
    if (typeof port.nodePort !== 'number' || port.nodePort === 0) return;
    const key = `${String(port.protocol ?? 'TCP')}/${port.nodePort}`;
    if (nodePorts.has(key)) errs.duplicate(`spec.ports[${i}].nodePort`, port.nodePort);
    nodePorts.add(key);
  });
  const seen = new Set<string>();
  ports.forEach((port, i) => {
    const protocol = String(port.protocol ?? 'TCP');
    const number = typeof port.port === 'number' ? port.port : 0;
    const key = `${protocol}/${number}`;
    if (seen.has(key)) errs.duplicate(`spec.ports[${i}]`, goServicePortKey(protocol, number));
    seen.add(key);
  });
}

/** `ValidateLeaseSpec`: positive duration, non-negative transitions, a preferred holder needs a strategy. */
export function validateLease(obj: KubeObject, errs: FieldErrors): void {
  const spec = objectAt(obj.spec);
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0) {
    errs.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0');
  }
  if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0) {
    errs.invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0');
  }
  const strategy = typeof spec.strategy === 'string' ? spec.strategy : '';
  if (typeof spec.preferredHolder === 'string' && spec.preferredHolder !== '' && strategy === '') {
    errs.forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined');
  }
}
