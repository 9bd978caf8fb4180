import { startApiServer } from '../src/apiserver/index.js';
import * as k8s from '@kubernetes/client-node';
const server = await startApiServer();
const kc = new k8s.KubeConfig();
kc.loadFromOptions({ clusters: [{ name: 'b', server: server.url, skipTLSVerify: true }], users: [{ name: 'b' }], contexts: [{ name: 'b', cluster: 'b', user: 'b' }], currentContext: 'b' });
const core = kc.makeApiClient(k8s.CoreV1Api);
console.log('listing');
const t = setTimeout(() => { console.log('stuck'); process.exit(1); }, 5000);
try { const l = await core.listConfigMapForAllNamespaces(); console.log('items', l.items.length); } catch (e) { console.log('err', e); }
const inf = k8s.makeInformer(kc, '/api/v1/configmaps', () => core.listConfigMapForAllNamespaces());
await inf.start(); console.log('started');
clearTimeout(t);
await inf.stop(); await server.stop();
