/**
 * The CronTab CustomResourceDefinition of the Kubernetes documentation, with descriptions, for
 * tests that show a custom resource's schema through kubectl (`explain`, `apply`).
 */
export const CRONTAB_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { kind: 'CronTab', listKind: 'CronTabList', plural: 'crontabs', singular: 'crontab' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: { cronSpec: { type: 'string', description: 'When to run, in cron syntax.' } },
              },
            },
          },
        },
      },
    ],
  },
};
