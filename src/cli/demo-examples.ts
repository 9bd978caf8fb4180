/**
 * The examples the demo runs, loaded at run time. They live in `examples/` beside `src/` and import
 * the package by its name (`kloop`), so a static import would pull them into the `src` build: the
 * demo imports them by URL instead. From source (`npm start`, tsx) that is `examples/*.ts`; in the
 * package, the compiled `dist/examples/*.js` (`npm run build` compiles them against `dist/`). The
 * interface below is what the demo uses of them; the demo's test checks that the real modules
 * satisfy it.
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

/** Raised when the examples cannot be loaded (a build without `dist/examples/`). */
export class DemoExamplesError extends KloopError {
  constructor(cause: unknown) {
    super(
      'KLOOP_DEMO_EXAMPLES',
      `kloop demo: cannot load the examples (${(cause as Error)?.message ?? String(cause)}); build them with \`npm run build\`, or run the demo from source with \`npm start\``,
      { cause },
    );
  }
}

/**
 * Imports the examples: `examples/*.ts` beside `src/` when this module runs from source,
 * `dist/examples/*.js` when it runs compiled.
 */
export async function loadExamples(): Promise<DemoExamples> {
  const fromSource = import.meta.url.endsWith('.ts');
  const base = new URL(fromSource ? '../../examples/' : '../examples/', import.meta.url);
  const extension = fromSource ? '.ts' : '.js';
  const load = async <T>(name: string): Promise<T> => (await import(new URL(`${name}${extension}`, base).href)) as T;
  try {
    const [mirror, website, endpoints] = await Promise.all([
      load<MirrorExample>('configmap-mirror'),
      load<WebsiteExample>('website'),
      load<EndpointsExample>('endpoints-collection'),
    ]);
    return { mirror, website, endpoints };
  } catch (err) {
    throw new DemoExamplesError(err);
  }
}
