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

/** The upstream messages of the name rules, as `RegexError` writes them (two spaces before "or"). */
export const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
export const LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
export const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
export const NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
export const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
export const CONFIG_KEY =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
