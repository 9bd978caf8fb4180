/**
 * The packed package's declarations type-check in a consumer project that imports every entry
 * point, with `skipLibCheck: false` (so its `.d.ts` files and those of its dependencies are
 * checked too), as a user's strict project would.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { cleanEnv, installPackedKloop, ROOT, run } from '../support/package.js';

let project: string;

before(async () => {
  ({ project } = await installPackedKloop());
});

function node(args: readonly string[], cwd: string) {
  return run(process.execPath, args, { cwd, env: cleanEnv(), timeout: 540_000 });
}

describe('the packed package in a TypeScript consumer', () => {
  it('type-checks in a consumer project importing every entry point, with skipLibCheck false', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kloop-consumer-types-'));
    try {
      await mkdir(join(dir, 'src'));
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            skipLibCheck: false,
            noEmit: true,
            types: ['node'],
            typeRoots: [join(ROOT, 'node_modules', '@types')],
          },
          include: ['src'],
        }),
      );
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer-types', type: 'module' }));
      // The installed package and its dependencies, as the consumer's.
      await symlink(join(project, 'node_modules'), join(dir, 'node_modules'));
      await writeFile(
        join(dir, 'src', 'operator.ts'),
        `import { ApiError, ConfigMap, defineResource, Manager, Type, type ObjectOf } from 'kloop';
import { startApiServer, type ApiServer } from 'kloop/apiserver';
import { derive, fromInformer } from 'kloop/collections';
import { StateDB } from 'kloop/statedb';
import { eventually, recordWrites, startEmulator, startManager, waitForCondition, type TestEmulator } from 'kloop/testing';

export const Widget = defineResource({
  group: 'example.com', version: 'v1', kind: 'Widget',
  spec: Type.Object({ size: Type.Integer({ minimum: 1 }) }),
});
export type WidgetObject = ObjectOf<typeof Widget>;

export async function check(): Promise<number> {
  const emulator: TestEmulator = await startEmulator({ resources: [Widget] });
  const server: ApiServer = emulator.server;
  const mgr: Manager = await startManager(emulator, (m) => {
    m.controller('widgets').for(Widget).reconcile(async (req, ctx) => {
      const widget = await ctx.client.get(Widget, req.key);
      const size: number | undefined = widget?.spec.size;
      // @ts-expect-error the spec's size is a number: the types are real, not any
      const wrong: string | undefined = widget?.spec.size;
      void wrong;
      return size === undefined ? undefined : { requeueAfter: size };
    });
  });
  const writes = recordWrites(mgr);
  await eventually(() => writes.count() === 0, { message: 'no writes' });
  await waitForCondition(emulator.client, { ...ConfigMap, namespace: 'default', name: 'x' }, 'Ready').catch(
    (err: unknown) => err instanceof ApiError,
  );
  const pods = fromInformer(mgr.informer(ConfigMap));
  const names = derive('names', pods, (_ctx, cm) => ({ key: cm.metadata.name ?? '' }));
  void names;
  void new StateDB();
  void startApiServer;
  await mgr.stop();
  await emulator.stop();
  return server.port;
}
`,
      );
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      await node([tsc, '-p', dir], dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
