/**
 * ControllerRevisions, the history StatefulSets and DaemonSets keep (pkg/controller/history): a
 * revision holds the Pod template as a patch (`{"spec":{"template":{...,"$patch":"replace"}}}`),
 * is named `<owner>-<hash>`, labelled with the Pod template's labels and
 * `controller.kubernetes.io/hash`, owned by its set, and numbered: a template seen before gets
 * the next number again (a rollback), as `history.FindEqualRevisions` then bumping does.
 */
import { ControllerRevision, deepEqual, isPlainObject, type KubeObject, type TypeRef } from '../../core/index.js';
import type { StoredObject } from '../storage/store.js';
import { clone, isControlledBy, KCM, num, ownerReferenceTo, specOf, templateHash } from './objects.js';
import { type ControllerRuntime, copyOf } from './runtime.js';
import type { BuiltinController } from './types.js';

/** The revision of the current template. */
export interface Revision {
  /** `<owner>-<hash>`. */
  name: string;
  hash: string;
  revision: number;
  /** The template the revision holds. */
  template: Record<string, unknown>;
}

function dataOf(template: unknown): Record<string, unknown> {
  return { spec: { template: { ...(isPlainObject(template) ? clone(template) : {}), $patch: 'replace' } } };
}

function templateOf(rev: KubeObject): Record<string, unknown> {
  const data = isPlainObject(rev.data) ? rev.data : {};
  const spec = isPlainObject(data.spec) ? data.spec : {};
  const template = isPlainObject(spec.template) ? { ...spec.template } : {};
  delete template.$patch;
  return template;
}

/** The owner's revisions, oldest first. */
export function revisionsOf(rt: ControllerRuntime, owner: KubeObject): StoredObject[] {
  return rt
    .list(ControllerRevision, owner.metadata.namespace)
    .filter((r) => isControlledBy(r.object, owner))
    .sort((a, b) => num(a.object.revision, 0) - num(b.object.revision, 0));
}

/** The revision a revision name points to, as a {@link Revision}. */
export function revisionByName(rt: ControllerRuntime, owner: KubeObject, name: string): Revision | undefined {
  const stored = rt.get(ControllerRevision, owner.metadata.namespace, name);
  if (!stored) return undefined;
  const hash =
    stored.object.metadata.labels?.['controller.kubernetes.io/hash'] ?? name.slice(name.lastIndexOf('-') + 1);
  return { name, hash, revision: num(stored.object.revision, 0), template: templateOf(stored.object) };
}

/** Finds or creates the revision of the owner's current template; undefined when that failed. */
export function ensureRevision(
  rt: ControllerRuntime,
  controller: BuiltinController['name'],
  owner: KubeObject,
  ownerType: TypeRef,
): Revision | undefined {
  const template = specOf(owner).template;
  const data = dataOf(template);
  const existing = revisionsOf(rt, owner);
  const highest = existing.reduce((n, r) => Math.max(n, num(r.object.revision, 0)), 0);
  const hash = templateHash(data);
  const name = `${String(owner.metadata.name)}-${hash}`;
  const same = existing.find((r) => deepEqual(r.object.data, data));
  if (same) {
    let stored = same;
    if (num(same.object.revision, 0) < highest) {
      const next = copyOf(same);
      next.revision = highest + 1;
      stored = rt.update(controller, KCM, ControllerRevision, same, next) ?? same;
    }
    return {
      name: String(stored.object.metadata.name),
      hash: stored.object.metadata.labels?.['controller.kubernetes.io/hash'] ?? hash,
      revision: num(stored.object.revision, 0),
      template: templateOf(stored.object),
    };
  }
  // history.NewControllerRevision labels a revision with the Pod template's labels.
  const templateMeta = isPlainObject(template) && isPlainObject(template.metadata) ? template.metadata : {};
  const templateLabels = isPlainObject(templateMeta.labels) ? templateMeta.labels : {};
  const created = rt.create(controller, KCM, ControllerRevision, {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: owner.metadata.namespace,
      labels: { ...(templateLabels as Record<string, string>), 'controller.kubernetes.io/hash': hash },
      ownerReferences: [ownerReferenceTo(owner, ownerType)],
    },
    data,
    revision: highest + 1,
  });
  if (!created) return undefined;
  return { name, hash, revision: highest + 1, template: templateOf(created.object) };
}

/** Deletes the oldest revisions past `revisionHistoryLimit`, never those in `keep`. */
export function pruneRevisions(
  rt: ControllerRuntime,
  controller: BuiltinController['name'],
  owner: KubeObject,
  keep: readonly string[],
): void {
  const limit = num(specOf(owner).revisionHistoryLimit, 10);
  const old = revisionsOf(rt, owner).filter((r) => !keep.includes(String(r.object.metadata.name)));
  for (const r of old.slice(0, Math.max(0, old.length - limit))) rt.delete(controller, KCM, ControllerRevision, r);
}
