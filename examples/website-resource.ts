/**
 * The `Website` custom resource, defined once: its TypeScript type, its resource type and its
 * CustomResourceDefinition all come from this definition. The module only defines (importing it
 * has no side effects), so `kloop crd examples/website-resource.ts` can print the CRD:
 *
 * ```sh
 * node --import tsx src/cli/main.ts crd examples/website-resource.ts | kubectl apply -f -
 * ```
 */
import { defineResource, K8s, Type } from 'kloop';

/** A status condition, as `metav1.Condition` (what `setCondition` writes). */
const Condition = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 316 }),
  status: K8s.Enum(['True', 'False', 'Unknown']),
  reason: Type.String({ maxLength: 1024 }),
  message: Type.String({ maxLength: 32768 }),
  lastTransitionTime: Type.String({ format: 'date-time' }),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
});

/** The Website resource: a web server Deployment and its Service, per `kloop.dev/v1` Website. */
export const Website = defineResource({
  group: 'kloop.dev',
  version: 'v1',
  kind: 'Website',
  shortNames: ['ws'],
  categories: ['all'],
  description: 'A website served by a Deployment of web servers behind a Service.',
  spec: Type.Object(
    {
      image: Type.Optional(Type.String({ minLength: 1, description: 'Container image of the web server.' })),
      replicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, default: 1, description: 'Web servers.' })),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 80, description: 'Port served.' })),
    },
    {
      'x-kubernetes-validations': [
        K8s.Rule("!has(self.image) || !self.image.endsWith(':latest')", {
          message: 'pin the image: a :latest tag does not roll out changes',
        }),
      ],
    },
  ),
  status: Type.Object({
    observedGeneration: Type.Optional(Type.Integer()),
    readyReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    url: Type.Optional(Type.String()),
    conditions: Type.Optional(K8s.ListMap(Condition, ['type'])),
  }),
  printerColumns: [
    { name: 'Image', type: 'string', jsonPath: '.spec.image' },
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
});

/** A Website object (the type `defineResource` derives from the schema). */
export type WebsiteObject = typeof Website.Object;
