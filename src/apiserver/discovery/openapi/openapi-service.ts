/**
 * The OpenAPI documents one emulator serves, kept current: one v3 document per served
 * group-version (the upstream Kubernetes 1.33 document of a built-in group-version, trimmed to
 * the resources the emulator serves; for custom resources, the document of their CRDs' schemas),
 * the `/openapi/v3` index of them, and the `/openapi/v2` document of all of them.
 *
 * Built-in documents never change and are published once, at first use. CRD documents are
 * rebuilt when a CustomResourceDefinition changes: each request compares the CRDs' resource
 * versions with those of the last build, so a `kubectl explain` right after `kubectl apply -f
 * crd.yaml` sees the new schema (the real server republishes within a second or so).
 */
import type { KubeObject } from '../../../core/index.js';
import type { Cluster } from '../../registry/cluster.js';
import { buildCrdsOpenApiV3, type CrdForOpenApi } from './openapi-crd.js';
import { builtinOpenApiGroupVersions } from './openapi-data.js';
import { buildOpenApiV2, type OpenApiV2Document, type V2Source } from './openapi-v2.js';
import { encodeOpenApiV2Protobuf } from './openapi-v2-protobuf.js';
import {
  buildBuiltinOpenApiV3,
  buildOpenApiV3Index,
  type OpenApiV3Document,
  openApiV3PathOf,
  type PublishedOpenApiDocument,
  publishOpenApiDocument,
} from './openapi-v3.js';

/** A published set of documents (built at `builtAt`). */
export interface OpenApiSnapshot {
  /** v3 documents by path (`api/v1`, `apis/apps/v1`, `apis/example.com/v1`). */
  readonly documents: ReadonlyMap<string, PublishedOpenApiDocument>;
  /** The `/openapi/v3` body. */
  readonly index: string;
  /** When this set was built (the `Last-Modified` of its responses). */
  readonly builtAt: Date;
  /** The `/openapi/v2` JSON and its hash, built at first request. */
  v2(): { json: string; hash: string };
  /** The `/openapi/v2` protobuf form (definitions; see `openapi-v2-protobuf.ts`), built at first request. */
  v2Protobuf(): Buffer;
}

interface BuiltinDocument {
  readonly published: PublishedOpenApiDocument;
  readonly document: OpenApiV3Document;
}

/** Serves the OpenAPI documents of a cluster (see the module comment). */
export class OpenApiService {
  private builtins: Map<string, BuiltinDocument> | undefined;
  private snapshot: OpenApiSnapshot | undefined;
  private crdKey: string | undefined;

  constructor(private readonly cluster: Cluster) {}

  /** The documents as of now. */
  current(): OpenApiSnapshot {
    const crds = this.servedCrds();
    const key = crds.map((c) => `${c.metadata.name}@${c.metadata.resourceVersion}`).join(',');
    if (this.snapshot && key === this.crdKey) return this.snapshot;
    this.crdKey = key;
    this.snapshot = this.build(crds as unknown as (KubeObject & CrdForOpenApi)[]);
    return this.snapshot;
  }

  /** The built-in documents of the group-versions the emulator serves, built once. */
  private builtinDocuments(): Map<string, BuiltinDocument> {
    if (this.builtins) return this.builtins;
    const resources = new Map<string, Set<string>>();
    for (const served of this.cluster.types.all()) {
      if (served.custom) continue;
      const path = openApiV3PathOf(served.type.group, served.type.version);
      let set = resources.get(path);
      if (!set) resources.set(path, (set = new Set()));
      set.add(served.type.plural);
    }
    const out = new Map<string, BuiltinDocument>();
    for (const path of builtinOpenApiGroupVersions) {
      const served = resources.get(path);
      if (!served) continue;
      const document = buildBuiltinOpenApiV3(path, { resources: served });
      if (document) out.set(path, { document, published: publishOpenApiDocument(path, document) });
    }
    this.builtins = out;
    return out;
  }

  /** The CRDs whose custom resources are served now, in name order. */
  private servedCrds(): KubeObject[] {
    const crdType = this.cluster.types.byResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    if (!crdType) return [];
    const out: KubeObject[] = [];
    for (const stored of this.cluster.store(crdType).all()) {
      const crd = stored.object as KubeObject & Partial<CrdForOpenApi>;
      const spec = crd.spec;
      if (!spec || typeof spec.group !== 'string' || !Array.isArray(spec.versions)) continue;
      const plural = spec.names?.plural;
      if (spec.versions.some((v) => this.cluster.types.byResource(spec.group, v.name, plural ?? '')?.custom)) {
        out.push(crd);
      }
    }
    return out;
  }

  /**
   * When a new build is published: now, but at least a whole second after the last build.
   * `Last-Modified` has whole seconds and clients revalidate the index with it (kubectl's
   * `--cache-dir` HTTP cache sends `If-Modified-Since`); a CRD applied in the same second as the
   * last build would otherwise be answered with a 304 and the old index.
   */
  private nextBuildTime(): Date {
    const now = Date.now();
    const last = this.snapshot?.builtAt.getTime();
    if (last === undefined) return new Date(now);
    return new Date(Math.max(now, (Math.floor(last / 1000) + 1) * 1000));
  }

  private build(crds: readonly (KubeObject & CrdForOpenApi)[]): OpenApiSnapshot {
    const builtins = this.builtinDocuments();
    const documents = new Map<string, PublishedOpenApiDocument>();
    const v2Sources: V2Source[] = [];
    for (const [path, builtin] of builtins) {
      documents.set(path, builtin.published);
      v2Sources.push({ document: builtin.document });
    }
    const groupVersions = new Map<string, { group: string; version: string }>();
    for (const crd of crds) {
      for (const v of crd.spec.versions) {
        if (v.served === false) continue;
        if (!this.cluster.types.byResource(crd.spec.group, v.name, crd.spec.names.plural)) continue;
        groupVersions.set(openApiV3PathOf(crd.spec.group, v.name), { group: crd.spec.group, version: v.name });
      }
    }
    for (const [path, { group, version }] of groupVersions) {
      const document = buildCrdsOpenApiV3(crds, group, version);
      documents.set(path, publishOpenApiDocument(path, document));
      v2Sources.push({ document, custom: true });
    }
    const index = JSON.stringify(buildOpenApiV3Index([...documents.values()]));
    let v2Document: OpenApiV2Document | undefined;
    let v2: { json: string; hash: string } | undefined;
    let v2Protobuf: Buffer | undefined;
    const document = () => {
      v2Document ??= buildOpenApiV2(v2Sources);
      return v2Document;
    };
    return {
      documents,
      index,
      builtAt: this.nextBuildTime(),
      v2: () => {
        if (!v2) {
          const published = publishOpenApiDocument('v2', document() as unknown as OpenApiV3Document);
          v2 = { json: published.json, hash: published.hash };
        }
        return v2;
      },
      v2Protobuf: () => {
        v2Protobuf ??= encodeOpenApiV2Protobuf(document());
        return v2Protobuf;
      },
    };
  }
}
