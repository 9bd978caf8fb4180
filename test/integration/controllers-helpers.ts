/**
 * Helpers for the built-in controller tests: an emulator with its controllers on a manual clock,
 * typed reads, and a JSON client. Time moves only through `server.controllers.advance(ms)`, so
 * every test is exact and never sleeps.
 */
import type { ApiServer, ApiServerOptions } from '../../src/apiserver/index.js';
import { type KubeObject, ManualClock } from '../../src/core/index.js';
import { type Api, startTestServer } from '../apiserver/helpers.js';

/**
 * An object with the fields the tests read. `any` on purpose: the tests read deep, arbitrary API
 * fields and assert their values, which is the type check that matters here.
 */
// biome-ignore lint/suspicious/noExplicitAny: arbitrary API fields, checked by assertions
type Loose = any;
export type Obj = KubeObject & {
  spec?: Record<string, Loose>;
  status?: Record<string, Loose>;
  [field: string]: Loose;
};

/** A running emulator with controllers and a manual clock. */
export interface Sim {
  server: ApiServer;
  api: Api;
  clock: ManualClock;
  /** Moves time (settling the controllers after each timer). */
  advance(ms: number): Promise<void>;
  get(path: string): Promise<Obj>;
  list(path: string): Promise<Obj[]>;
  /** POST and settle; throws on a non-2xx answer. */
  create(path: string, body: unknown): Promise<Obj>;
  /** Merge-patch and settle. */
  patch(path: string, body: unknown): Promise<Obj>;
}

/** Starts the emulator with every controller (or `options.controllers`) on a manual clock. */
export async function startSim(options: ApiServerOptions = {}): Promise<Sim> {
  const clock = new ManualClock(0);
  const { server, api } = await startTestServer({ controllers: true, clock, ...options });
  await server.controllers.settle();
  const sim: Sim = {
    server,
    api,
    clock,
    advance: (ms) => server.controllers.advance(ms),
    async get(path) {
      const res = await api.get<Obj>(path);
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
      return res.body;
    },
    async list(path) {
      const res = await api.get<{ items: Obj[] }>(path);
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.text}`);
      return res.body.items;
    },
    async create(path, body) {
      const res = await api.post<Obj>(path, body);
      if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${res.text}`);
      await server.controllers.settle();
      return res.body;
    },
    async patch(path, body) {
      const res = await api.patch<Obj>(path, body);
      if (res.status !== 200) throw new Error(`PATCH ${path}: ${res.status} ${res.text}`);
      await server.controllers.settle();
      return res.body;
    },
  };
  return sim;
}

/** A Deployment body. */
export function deployment(name: string, replicas: number, image: string, extra: Record<string, unknown> = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      ...extra,
    },
  };
}

/** A condition of `obj.status` by type. */
export function cond(obj: Obj, type: string): Record<string, Loose> | undefined {
  return (obj.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
}

export const NS = '/api/v1/namespaces/default';
export const APPS = '/apis/apps/v1/namespaces/default';
export const BATCH = '/apis/batch/v1/namespaces/default';
