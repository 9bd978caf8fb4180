import { startApiServer } from './src/apiserver/index.js';
const server = await startApiServer({ port: 0 });
const r = await fetch(`${server.url}/api/v1/namespaces/default/configmaps?fieldManager=bench`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { app: 'x' } }, data: { a: 'b' } }) });
console.log(r.status, await r.text());
const r2 = await fetch(`${server.url}/api/v1/namespaces/default/configmaps?fieldManager=bench`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', managedFields: [{ manager: 'm', operation: 'Update', apiVersion: 'v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }] }, data: { a: 'b' } }) });
console.log(r2.status, await r2.text());
const w = await fetch(`${server.url}/api/v1/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
console.log(w.status, (await w.text()).slice(0, 300));
await server.stop();
