/**
 * The examples the demo runs, loaded at run time. They live in `examples/` beside `src/`, outside
 * the compiled package root, so a static import would pull them into the `src` build (and fail
 * it): the demo imports them by URL instead, which works when kloop runs from source (tsx, as
 * `npm start` and `bin/kloop.js` do). The interface below is what the demo uses of them; the demo's
 * test checks that the real modules satisfy it.
 */
import type { CollectionRegistry } from '../collections/index.js';
import { KloopError, type KubeObject, type TypeRef } from '../core/index.js';
import type { Manager } from '../manager/index.js';

/** What the demo takes from `examples/configmap-mirror.ts`. */
export interface MirrorExample {
  MIRROR_LABEL: string;
  MIRROR_TO: string;
  MIRROR_OF: string;
  mirrorController(mgr: Manager, options?: { concurrency?: number }): unknown;
}

/** What the demo takes from `examples/website.ts`. */
export interface WebsiteExample {
  /** The Website type; its `crd()` is what the demo installs, as an administrator would (Helm, kubectl). */
  Website: TypeRef & { crd(): KubeObject };
  installWebsiteCrd(mgr: Manager): Promise<void>;
  websiteController(mgr: Manager, options?: { concurrency?: number }): unknown;
}

/** What the demo takes from `examples/endpoints-collection.ts`. */
export interface EndpointsExample {
  ENDPOINTS_OF: string;
  // The collection's item type is the example's own; the demo only hands it back.
  endpointsCollection(mgr: Manager, registry?: CollectionRegistry): { endpoints: object };
  endpointsController(mgr: Manager, endpoints: object): unknown;
}

/** The three examples. */
export interface DemoExamples {
  mirror: MirrorExample;
  website: WebsiteExample;
  endpoints: EndpointsExample;
}

/** A Website as the demo reads it. */
export interface WebsiteLike extends KubeObject {
  spec?: { image?: string; replicas?: number; port?: number };
}

/** Raised when the examples cannot be loaded (an install without `examples/` or without tsx). */
export class DemoExamplesError extends KloopError {
  constructor(cause: unknown) {
    super(
      'KLOOP_DEMO_EXAMPLES',
      `kloop demo: cannot load the examples (${(cause as Error)?.message ?? String(cause)}); the demo runs from source: \`npm start\`, or \`node --import tsx src/cli/main.ts demo\``,
      { cause },
    );
  }
}

/** Imports the examples from `examples/` next to `src/` (or `dist/`). */
export async function loadExamples(): Promise<DemoExamples> {
  const base = new URL('../../examples/', import.meta.url);
  const load = async <T>(file: string): Promise<T> => (await import(new URL(file, base).href)) as T;
  try {
    const [mirror, website, endpoints] = await Promise.all([
      load<MirrorExample>('configmap-mirror.ts'),
      load<WebsiteExample>('website.ts'),
      load<EndpointsExample>('endpoints-collection.ts'),
    ]);
    return { mirror, website, endpoints };
  } catch (err) {
    throw new DemoExamplesError(err);
  }
}
