/**
 * Table helpers for the validation tests: run the write path's validation on an object of a
 * built-in kind and compare the causes with the texts kube-apiserver 1.33 answers.
 */
import assert from 'node:assert/strict';
import { ServedTypes } from '../../../src/apiserver/served/served-types.js';
import { createErrors, updateErrors } from '../../../src/apiserver/validation/built-ins.js';
import type { KubeObject, StatusCause } from '../../../src/core/index.js';

const types = new ServedTypes();

/** The served type of `group/version/plural`. */
export function served(group: string, version: string, plural: string) {
  const s = types.byResource(group, version, plural);
  assert.ok(s, `${group}/${version}/${plural} is served`);
  return s;
}

/** `field: message` of each cause, as the Status message lists them. */
export function texts(causes: readonly StatusCause[]): string[] {
  return causes.map((c) => `${c.field}: ${c.message}`);
}

/** The causes a create of `obj` gets. */
export function createTexts(group: string, plural: string, obj: KubeObject, version = 'v1'): string[] {
  return texts(createErrors(served(group, version, plural), obj).causes);
}

/** The causes an update from `old` to `obj` gets. */
export function updateTexts(group: string, plural: string, obj: KubeObject, old: KubeObject, version = 'v1'): string[] {
  return texts(updateErrors(served(group, version, plural), obj, old).causes);
}

/** A case of a table: what is written, and the `field: message` texts expected. */
export interface Case {
  name: string;
  object: KubeObject;
  want: string[];
}
