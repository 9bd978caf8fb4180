/**
 * The files of a new operator project (`kloop init NAME`), besides those of its first API. The
 * project compiles TypeScript with tsc and runs the compiled JavaScript, in tests, in
 * `kloop manifests` and in its container image.
 */

/** What the project templates need. */
export interface ProjectFacts {
  /** npm package and operator name, a DNS label: `demo-op`. */
  name: string;
  /** The kloop dependency spec written to package.json (`^0.1.0`, a tarball path, ...). */
  kloop: string;
  /** Versions of the dev dependencies, as kloop itself builds with them. */
  typescript: string;
  typesNode: string;
  group: string;
  version: string;
}

/** Markers `kloop create api` inserts lines above (kubebuilder's `+kubebuilder:scaffold`). */
export const MARKERS = {
  imports: '// +kloop:scaffold:imports',
  resources: '// +kloop:scaffold:resources',
  controllers: '// +kloop:scaffold:controllers',
} as const;

export function packageJson(p: ProjectFacts): string {
  const pkg = {
    name: p.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20.6' },
    scripts: {
      build: 'tsc -p tsconfig.json',
      test: 'tsc -p tsconfig.json && node --test dist/test/*.test.js',
      start: 'node dist/src/main.js',
      manifests: `tsc -p tsconfig.json && kloop manifests dist/src/operator.js --out config --name ${p.name} --image ${p.name}:latest`,
    },
    kloop: { group: p.group, version: p.version },
    dependencies: { kloop: p.kloop },
    devDependencies: { '@types/node': p.typesNode, typescript: p.typescript },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

export function tsconfig(): string {
  const config = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: true,
      rootDir: '.',
      outDir: 'dist',
      declaration: false,
      sourceMap: true,
      incremental: true,
      tsBuildInfoFile: 'dist/.tsbuildinfo',
      types: ['node'],
    },
    include: ['src', 'test'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** `src/operator.ts`: what the operator is, imported by main, tests and `kloop manifests`. */
export function operatorFile(p: ProjectFacts, firstKind: { kind: string; lower: string }): string {
  return `/**
 * The operator, declared once: its resources, its Manager's options and its controllers. main.ts
 * runs it, the tests run it on the emulator, and \`npm run manifests\` (kloop manifests) derives
 * its CRDs, RBAC and Deployment from it. Importing this module must have no side effects.
 */
import type { Manager, ManagerOptions } from 'kloop';
import { ${firstKind.kind} } from './api/${firstKind.lower}.js';
import { setup${firstKind.kind}Controller } from './controllers/${firstKind.lower}.js';
${MARKERS.imports}

/** The operator's resources: \`kloop manifests\` writes their CRDs, the tests install them. */
export const resources = [
  ${firstKind.kind},
  ${MARKERS.resources}
];

/** The namespaces the operator reconciles in: its cache (and so its RBAC) is scoped to them. */
export const WATCH_NAMESPACES = ['default'];

/** The Manager's options in production; tests start from them. */
export const managerOptions: ManagerOptions = {
  // One replica leads; the others keep warm caches and take over within a lease duration.
  leaderElection: { name: '${p.name}' },
  cache: { defaultNamespaces: WATCH_NAMESPACES },
  // /healthz, /readyz and /metrics for kubelet's probes and Prometheus (the Deployment's port).
  http: { port: Number(process.env.HTTP_PORT ?? 8081) },
  fieldManager: '${p.name}',
  component: '${p.name}',
};

/** Declares the controllers on \`mgr\`. */
export function setup(mgr: Manager): void {
  setup${firstKind.kind}Controller(mgr);
  ${MARKERS.controllers}
}
`;
}

/** `src/main.ts`: the process. */
export function mainFile(): string {
  return `import { exitOnSignal, Manager } from 'kloop';
import { managerOptions, setup } from './operator.js';

const mgr = new Manager(managerOptions);
setup(mgr);
// SIGTERM: stop taking work, drain in-flight reconciles, release the Lease, exit 0.
exitOnSignal(() => mgr.stop(), { logger: mgr.logger });
// Losing the Lease stops the manager: exit so that the Pod restarts clean (as controller-runtime).
mgr.done.then((reason) => {
  if (reason === 'leadership-lost') process.exit(1);
});
try {
  await mgr.start();
} catch (err) {
  mgr.logger.error({ err }, 'manager failed to start');
  process.exit(1);
}
`;
}

/**
 * A multi-stage image: compile with the dev dependencies, install the production ones alone,
 * and run the compiled JavaScript as a non-root user (numeric, so kubelet can check
 * runAsNonRoot) from a read-only root filesystem.
 */
export function dockerfile(): string {
  return `# syntax=docker/dockerfile:1
FROM node:20-alpine AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
RUN npx tsc -p tsconfig.json

FROM node:20-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

FROM node:20-alpine
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
USER 1000:1000
CMD ["node", "dist/src/main.js"]
`;
}

export function dockerignore(): string {
  return 'node_modules\ndist\nconfig\n.git\n';
}

export function gitignore(): string {
  return 'node_modules\ndist\n';
}

export function readme(p: ProjectFacts): string {
  return `# ${p.name}

A Kubernetes operator built with [kloop](https://www.npmjs.com/package/kloop).

- \`src/api/\`: the resources, each defined once (TypeScript type, resource type, CRD).
- \`src/controllers/\`: a controller per resource.
- \`src/operator.ts\`: the resources, the Manager's options and \`setup(mgr)\`.
- \`src/main.ts\`: the process (leader election, health and metrics on :8081, graceful stop).
- \`test/\`: the controllers on kloop's in-process API server emulator, through \`kloop/testing\`.

## Develop

\`\`\`sh
npm install
npm test                 # compile, then run the tests on the emulator
npx kloop create api Backup   # add a resource and its controller
\`\`\`

## Deploy

\`\`\`sh
npm run manifests        # config/: CRDs, RBAC derived from the controllers, Deployment
docker build -t ${p.name}:latest .
kubectl apply -k config
\`\`\`

\`npm run manifests\` derives the RBAC rules from what the controllers declare (\`for\`, \`owns\`,
\`watches\`, the cache's namespaces, leader election); add what the builder cannot see with
\`.rbac({...})\` on a controller. At start the operator checks each rule with a
SelfSubjectAccessReview and refuses to start, naming the missing ones.
`;
}
