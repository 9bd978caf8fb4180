// Query parameters and path segments read as kube-apiserver 1.33 reads them, over HTTP, with
// the upstream answers: loose booleans (`watch=True`, bare `?watch`), Go integers and their
// 400 texts, the first of repeated values, `watch` on a named GET, `?timeout=` (400, 504),
// resourceVersion parse errors per verb, ListOptions 422s, streaming lists with and without the
// WatchList feature; dot segments and other names that are no path segment. The `?timeout=`
// deadline and a watch's `timeoutSeconds` run on the emulator's clock: a manual clock steps them.
import assert from 'node:assert/strict';
import { type IncomingMessage, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { MAX_TIMER_MS } from '../../src/apiserver/http/long-timer.js';
import { type ApiServer, startApiServer } from '../../src/apiserver/index.js';
import { type KubeObject, ManualClock, type Status } from '../../src/core/index.js';

interface Raw {
  status: number;
  type: string;
  text: string;
}

/** A request with the path sent exactly as given (fetch would resolve dot segments). */
function raw(
  server: ApiServer,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Raw> {
  const { port } = new URL(server.url);
  const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...length } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function status(r: Raw): Status {
  return JSON.parse(r.text) as Status;
}

const CM = '/api/v1/namespaces/default/configmaps';

function configMap(name: string, namespace = 'default'): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { a: 'b' } });
}

describe('query parameters as the API server parses them', () => {
  let server: ApiServer;
  before(async () => {
    server = await startApiServer({ port: 0 });
    await raw(server, 'POST', CM, configMap('one'), { 'content-type': 'application/json' });
  });
  after(() => server.stop());

  it('booleans: any value but 0 and false (any case) is true, the empty value and a bare key included', async () => {
    for (const q of ['watch=True', 'watch=t', 'watch', 'watch=', 'watch=yes', 'watch=1']) {
      const r = await raw(server, 'GET', `${CM}?${q}&timeoutSeconds=1`);
      assert.equal(r.status, 200, q);
      assert.match(r.text, /^\{"type":"ADDED"/, q);
    }
    for (const q of ['watch=FALSE', 'watch=false', 'watch=0']) {
      const r = await raw(server, 'GET', `${CM}?${q}`);
      assert.equal(JSON.parse(r.text).kind, 'ConfigMapList', q);
    }
  });

  it('the python client: list and watch with watch=True, timeoutSeconds and a JSON body on delete', async () => {
    // kubernetes.watch.Watch().stream(v1.list_namespaced_config_map, "default", timeout_seconds=1)
    const headers = { accept: 'application/json', 'user-agent': 'OpenAPI-Generator/33.1.0/python' };
    const watch = await raw(server, 'GET', `${CM}?timeoutSeconds=1&watch=True`, undefined, headers);
    assert.equal(watch.status, 200);
    assert.equal(watch.type, 'application/json');
    const events = watch.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: KubeObject });
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name]),
      [['ADDED', 'one']],
    );
    // v1.create_namespaced_config_map(...), then v1.delete_namespaced_config_map(name, ns, body=V1DeleteOptions(...))
    const created = await raw(server, 'POST', `${CM}?dryRun=All`, configMap('py'), {
      ...headers,
      'content-type': 'application/json',
    });
    assert.equal(created.status, 201);
    await raw(server, 'POST', CM, configMap('py'), { ...headers, 'content-type': 'application/json' });
    const deleted = await raw(
      server,
      'DELETE',
      `${CM}/py?gracePeriodSeconds=0&propagationPolicy=Foreground`,
      JSON.stringify({ gracePeriodSeconds: 0, propagationPolicy: 'Foreground' }),
      { ...headers, 'content-type': 'application/json' },
    );
    assert.equal(deleted.status, 200, deleted.text);
  });

  it('watch on a named path is a plain GET', async () => {
    const r = await raw(server, 'GET', `${CM}/one?watch=true`);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.text).kind, 'ConfigMap');
  });

  it('the deprecated /watch/ path with a name: a fieldSelector must select that name (handlers/get.go)', async () => {
    const watchOne = '/api/v1/watch/namespaces/default/configmaps/one';
    for (const selector of ['metadata.name%3Dtwo', 'metadata.name!%3Done', 'metadata.namespace%3Ddefault']) {
      const r = await raw(server, 'GET', `${watchOne}?fieldSelector=${selector}&timeoutSeconds=1`);
      assert.equal(r.status, 400, selector);
      assert.deepEqual(
        { reason: status(r).reason, message: status(r).message },
        { reason: 'BadRequest', message: "fieldSelector metadata.name doesn't match requested name" },
        selector,
      );
    }
    // The same name (with other terms) is fine.
    const same = await raw(
      server,
      'GET',
      `${watchOne}?fieldSelector=metadata.namespace%3Ddefault,metadata.name%3Done&timeoutSeconds=1`,
    );
    assert.equal(same.status, 200);
    assert.equal(JSON.parse(same.text.split('\n')[0]).object.metadata.name, 'one');
  });

  it('integers: Go ParseInt texts in 400s; the first of repeated values wins', async () => {
    const cases: [string, string][] = [
      ['limit=abc', 'strconv.ParseInt: parsing "abc": invalid syntax'],
      ['limit=', 'strconv.ParseInt: parsing "": invalid syntax'],
      ['limit=1.5', 'strconv.ParseInt: parsing "1.5": invalid syntax'],
      ['timeoutSeconds=1e3', 'strconv.ParseInt: parsing "1e3": invalid syntax'],
      ['timeoutSeconds=99999999999999999999', 'strconv.ParseInt: parsing "99999999999999999999": value out of range'],
      ['limit=x&limit=1', 'strconv.ParseInt: parsing "x": invalid syntax'],
    ];
    for (const [q, message] of cases) {
      const r = await raw(server, 'GET', `${CM}?${q}`);
      assert.equal(r.status, 400, q);
      assert.deepEqual({ reason: status(r).reason, message: status(r).message }, { reason: 'BadRequest', message }, q);
    }
    const page = JSON.parse((await raw(server, 'GET', `${CM}?limit=1&limit=x`)).text);
    assert.equal(page.kind, 'ConfigMapList');
    // A negative limit is no limit; a negative timeoutSeconds ends the watch at once, empty.
    assert.equal(JSON.parse((await raw(server, 'GET', `${CM}?limit=-5`)).text).items.length, 1);
    const ended = await raw(server, 'GET', `${CM}?watch=1&timeoutSeconds=-1`);
    assert.equal(ended.status, 200);
    assert.equal(ended.text, '');
    // A timeoutSeconds whose Go duration wraps to a negative one ends at once too.
    const wrapped = await raw(server, 'GET', `${CM}?watch=1&timeoutSeconds=9223372036854775807`);
    assert.equal(wrapped.text, '');
  });

  it("the query is split as Go's url.ParseQuery splits it: a pair with a semicolon or a bad escape is dropped", async () => {
    // req.URL.Query() ignores ParseQuery's error and keeps the pairs that parsed.
    for (const q of ['limit=%zz', 'limit=1;x', 'limit=1%2', 'li%mit=1&limit=%G1']) {
      const r = await raw(server, 'GET', `${CM}?${q}`);
      assert.equal(r.status, 200, `${q}: ${r.text}`);
      assert.equal(JSON.parse(r.text).kind, 'ConfigMapList', q);
    }
    const notWatch = await raw(server, 'GET', `${CM}?watch=1;x`);
    assert.equal(JSON.parse(notWatch.text).kind, 'ConfigMapList');
    // The pairs around a dropped one still count; `+` is a space, `%2B` a plus.
    const limited = await raw(server, 'GET', `${CM}?a=%zz&limit=abc;&limit=x+y`);
    assert.equal(status(limited).message, 'strconv.ParseInt: parsing "x y": invalid syntax');
    const plus = await raw(server, 'GET', `${CM}?limit=%2B1`);
    assert.equal(JSON.parse(plus.text).kind, 'ConfigMapList');
  });

  it('?timeout= is a Go duration (400 when not); watches ignore it', async () => {
    const cases: [string, string][] = [
      ['x', 'time: invalid duration "x"'],
      ['1', 'time: missing unit in duration "1"'],
      ['1d', 'time: unknown unit "d" in duration "1d"'],
    ];
    for (const [value, text] of cases) {
      const r = await raw(server, 'GET', `${CM}?timeout=${value}`);
      assert.equal(r.status, 400, value);
      assert.equal(status(r).message, `invalid timeout specified in the request URL - ${text}`);
    }
    assert.equal((await raw(server, 'GET', `/version?timeout=x`)).status, 400);
    assert.equal((await raw(server, 'GET', `${CM}?timeout=10s`)).status, 200);
    // Watches ignore it.
    assert.equal((await raw(server, 'GET', `${CM}?watch=1&timeout=x&timeoutSeconds=1`)).status, 200);
    // Past the deadline: a 504 (on the emulator's clock, below).
  });

  it('resourceVersion that does not parse: 500 from the watch cache, 400 from etcd, 422 on a watch', async () => {
    const cached = await raw(server, 'GET', `${CM}?resourceVersion=abc`);
    assert.equal(cached.status, 500);
    assert.equal(status(cached).reason, undefined);
    const list = await raw(server, 'GET', `${CM}?resourceVersion=abc&limit=1`);
    assert.equal(list.status, 400);
    assert.equal(
      status(list).message,
      'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
    );
    const get = await raw(server, 'GET', `${CM}/one?resourceVersion=abc`);
    assert.equal(get.status, 500);
    assert.equal(status(get).reason, undefined);
    assert.equal(
      status(get).message,
      'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
    );
    const watch = await raw(server, 'GET', `${CM}?watch=1&resourceVersion=-1`);
    assert.equal(watch.status, 422);
    assert.equal(
      status(watch).message,
      'configmaps "" is invalid: resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax',
    );
    const cont = await raw(server, 'GET', `${CM}?limit=1`);
    const token = JSON.parse(cont.text).metadata.continue as string | undefined;
    if (token !== undefined) {
      const both = await raw(server, 'GET', `${CM}?continue=${token}&resourceVersion=5`);
      assert.equal(status(both).message, 'specifying resource version is not allowed when using continue');
    }
  });

  it('ListOptions validation: every error in one 422, as ValidateListOptions words them', async () => {
    const cases: [string, string][] = [
      [
        'resourceVersionMatch=NotOlderThan',
        'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
      ],
      [
        'resourceVersionMatch=Exact&resourceVersion=0',
        'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
      ],
      [
        'resourceVersionMatch=Newest',
        '[resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""]',
      ],
      ['sendInitialEvents=true', 'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list'],
      [
        'watch=1&resourceVersionMatch=NotOlderThan',
        'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
      ],
      [
        'watch=1&sendInitialEvents=true&resourceVersionMatch=Exact&resourceVersion=1',
        '[resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]',
      ],
    ];
    for (const [q, text] of cases) {
      const r = await raw(server, 'GET', `${CM}?${q}`);
      assert.equal(r.status, 422, q);
      const s = status(r);
      assert.equal(s.message, `ListOptions.meta.k8s.io "" is invalid: ${text}`, q);
      assert.equal(s.details?.kind, 'ListOptions');
      assert.equal(s.details?.group, 'meta.k8s.io');
    }
  });

  it('a watch from "now" streams its initial state with the initial-events-end bookmark (WatchList defaulting)', async () => {
    const r = await raw(server, 'GET', `${CM}?watch=1&allowWatchBookmarks=true&timeoutSeconds=1`);
    const lines = r.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: KubeObject });
    assert.equal(lines[0].type, 'ADDED');
    assert.equal(lines[1].type, 'BOOKMARK');
    assert.equal(lines[1].object.metadata.annotations?.['k8s.io/initial-events-end'], 'true');
  });

  it('write options: dryRun and fieldValidation values are 422s of the options kind', async () => {
    const create = await raw(server, 'POST', `${CM}?dryRun=Yes`, configMap('dry'), {
      'content-type': 'application/json',
    });
    assert.equal(create.status, 422);
    assert.equal(
      status(create).message,
      'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"',
    );
    const update = await raw(server, 'PUT', `${CM}/one?fieldValidation=strict`, configMap('one'), {
      'content-type': 'application/json',
    });
    assert.equal(
      status(update).message,
      'UpdateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"',
    );
    const del = await raw(
      server,
      'DELETE',
      `${CM}/one`,
      JSON.stringify({ propagationPolicy: 'Sometimes', orphanDependents: true }),
      {
        'content-type': 'application/json',
      },
    );
    assert.equal(
      status(del).message,
      'DeleteOptions.meta.k8s.io "" is invalid: [propagationPolicy: Invalid value: "Sometimes": orphanDependents and deletionPropagation cannot be both set, propagationPolicy: Unsupported value: "Sometimes": supported values: "Foreground", "Background", "Orphan", "nil"]',
    );
  });

  it('fieldManager: at most 128 bytes (not characters), every character printable', async () => {
    const post = (manager: string) =>
      raw(server, 'POST', `${CM}?fieldManager=${encodeURIComponent(manager)}`, configMap('fm'), {
        'content-type': 'application/json',
      });
    // 64 two-byte characters are 128 bytes: allowed; 65 are 130: too long, though only 65 characters.
    const fits = await post('é'.repeat(64));
    assert.equal(fits.status, 201);
    const long = await post('é'.repeat(65));
    assert.equal(long.status, 422);
    assert.equal(
      status(long).message,
      'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes',
    );
    const bell = await post('ab\u0007é\u00a0');
    assert.equal(bell.status, 422);
    assert.equal(
      status(bell).message,
      'CreateOptions.meta.k8s.io "" is invalid: [fieldManager: Invalid value: "ab\\aé\\u00a0": invalid character U+0007 (at position 2), fieldManager: Invalid value: "ab\\aé\\u00a0": invalid character U+00A0 (at position 5)]',
    );
  });
});

describe('streaming lists without the WatchList feature (a 1.33 server with default gates)', () => {
  let server: ApiServer;
  before(async () => {
    server = await startApiServer({ port: 0, watchList: false });
  });
  after(() => server.stop());

  it('refuses sendInitialEvents on a watch with the 422 clients fall back from; plain watches stream', async () => {
    const r = await raw(
      server,
      'GET',
      `${CM}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=`,
    );
    assert.equal(r.status, 422);
    assert.equal(
      status(r).message,
      'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
    );
    const plain = await raw(server, 'GET', `${CM}?watch=1&allowWatchBookmarks=true&timeoutSeconds=1`);
    assert.equal(plain.status, 200);
    assert.ok(!plain.text.includes('initial-events-end'));
  });
});

describe('path segments are never resolved; names that are no path segment answer as upstream', () => {
  let server: ApiServer;
  before(async () => {
    server = await startApiServer({ port: 0 });
    await raw(server, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'victim' } }), {
      'content-type': 'application/json',
    });
  });
  after(() => server.stop());

  it('DELETE and GET of configmaps/%2E%2E or configmaps/.. never reach the namespace', async () => {
    for (const name of ['%2E%2E', '%2e%2e', '..']) {
      const del = await raw(server, 'DELETE', `/api/v1/namespaces/victim/configmaps/${name}`);
      assert.equal(del.status, 400, name);
      assert.deepEqual(
        { reason: status(del).reason, message: status(del).message },
        { reason: 'BadRequest', message: 'Name parameter invalid: "..": may not be \'..\'' },
      );
      const get = await raw(server, 'GET', `/api/v1/namespaces/victim/configmaps/${name}`);
      assert.equal(get.status, 400, name);
    }
    const ns = await raw(server, 'GET', '/api/v1/namespaces/victim');
    assert.equal(ns.status, 200);
    assert.equal(JSON.parse(ns.text).status.phase, 'Active');
  });

  it('other invalid names: ".", "%", and an escaped slash that separates segments', async () => {
    assert.equal(
      status(await raw(server, 'GET', '/api/v1/namespaces/victim/configmaps/%2E')).message,
      'Name parameter invalid: ".": may not be \'.\'',
    );
    assert.equal(
      status(
        await raw(server, 'PUT', '/api/v1/namespaces/victim/configmaps/a%25b', configMap('a%b', 'victim'), {
          'content-type': 'application/json',
        }),
      ).message,
      'Name parameter invalid: "a%b": may not contain \'%\'',
    );
    assert.equal(
      status(await raw(server, 'GET', '/api/v1/namespaces/%2E%2E')).message,
      'Name parameter invalid: "..": may not be \'..\'',
    );
    // `a%2Fb` is `a/b`: the object `a`, subresource `b`, which configmaps do not have.
    assert.equal((await raw(server, 'GET', '/api/v1/namespaces/victim/configmaps/a%2Fb')).status, 404);
    // `pods/../secrets`: pod `..`, subresource `secrets`.
    assert.equal((await raw(server, 'GET', '/api/v1/namespaces/victim/pods/../secrets')).status, 404);
  });

  it('a namespace that is no path segment: named requests are a 500 (invalid storage key), lists are empty', async () => {
    const get = await raw(server, 'GET', '/api/v1/namespaces/%2E%2E/configmaps/x');
    assert.equal(get.status, 500);
    assert.equal(status(get).message, 'invalid key: "/configmaps/../x"');
    const create = await raw(server, 'POST', '/api/v1/namespaces/%2E%2E/configmaps', configMap('x', '..'), {
      'content-type': 'application/json',
    });
    assert.equal(create.status, 500);
    assert.equal(status(create).message, 'Internal error occurred: invalid resource name "..": [may not be \'..\']');
    const list = await raw(server, 'GET', '/api/v1/namespaces/%2E%2E/configmaps');
    assert.equal(list.status, 200);
    assert.deepEqual(JSON.parse(list.text).items, []);
  });

  it('a path that starts with two slashes (or an escaped one) names nothing; trailing slashes are trimmed', async () => {
    // The director routes on the decoded URL.Path by prefix (`/api/v1`, `/apis/...`): `//api/v1/...`
    // misses every API root and no handler trims it (requestinfo.go's trimming is for authorization).
    for (const path of ['//api/v1/namespaces/victim', '/%2Fapi/v1/namespaces/victim', '//version']) {
      assert.equal((await raw(server, 'GET', path)).status, 404, path);
    }
    const deleted = await raw(server, 'DELETE', '//api/v1/namespaces/victim');
    assert.equal(deleted.status, 404);
    // go-restful 3.11 (TrimRightSlashEnabled) trims trailing slashes before matching routes.
    assert.equal(JSON.parse((await raw(server, 'GET', '/api/v1/namespaces/victim//')).text).kind, 'Namespace');
  });

  it('a bad percent escape is refused as Go refuses the request line', async () => {
    const r = await raw(server, 'GET', '/api/v1/namespaces/%zz');
    assert.equal(r.status, 400);
    assert.equal(r.text, '400 Bad Request');
  });
});

describe("deadlines and watch timeouts on the emulator's clock", () => {
  const clock = new ManualClock();
  let server: ApiServer;
  before(async () => {
    server = await startApiServer({ port: 0, clock });
  });
  after(() => server.stop());

  /** Lets requests reach the server until `count` timers are pending (no virtual time passes). */
  async function timersPending(count: number): Promise<void> {
    for (let i = 0; i < 10_000 && clock.pendingTimers() < count; i++) await new Promise((r) => setImmediate(r));
    assert.equal(clock.pendingTimers(), count);
  }

  it('an injected latency past ?timeout= answers the 504 when the clock reaches the deadline', async () => {
    const base = clock.pendingTimers();
    const slow = server.faults.latency({ ms: 5_000, verb: 'list' });
    try {
      const answer = raw(server, 'GET', `${CM}?timeout=1s`);
      // The latency's timer and the deadline's.
      await timersPending(base + 2);
      clock.advance(999);
      assert.equal(clock.pendingTimers(), base + 2, 'nothing fired before the deadline');
      clock.advance(1);
      const r = await answer;
      assert.equal(r.status, 504);
      assert.deepEqual(status(r), {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Timeout: request did not complete within the allotted timeout',
        reason: 'Timeout',
        details: {},
        code: 504,
      });
      // The request itself goes on when the latency ends; its answer is dropped.
      clock.advance(4_000);
      assert.equal(clock.pendingTimers(), base);
    } finally {
      slow.clear();
    }
  });

  it('a ?timeout= above the server limit is capped at 60 s', async () => {
    const base = clock.pendingTimers();
    const slow = server.faults.latency({ ms: 90_000, verb: 'list' });
    try {
      const answer = raw(server, 'GET', `${CM}?timeout=2m`);
      await timersPending(base + 2);
      clock.advance(59_999);
      assert.equal(clock.pendingTimers(), base + 2);
      clock.advance(1);
      assert.equal((await answer).status, 504);
      clock.advance(30_000);
      assert.equal(clock.pendingTimers(), base);
    } finally {
      slow.clear();
    }
  });

  it('a watch lasts its timeoutSeconds of the clock, past what one Node timer holds, then ends with a bookmark', async () => {
    const base = clock.pendingTimers();
    const seconds = 3_000_000; // 34.7 days: more than MAX_TIMER_MS, so the timeout is chained
    assert.ok(seconds * 1000 > MAX_TIMER_MS);
    const { port } = new URL(server.url);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(
        { host: '127.0.0.1', port, path: `${CM}?watch=1&allowWatchBookmarks=true&timeoutSeconds=${seconds}` },
        resolve,
      )
        .on('error', reject)
        .end();
    });
    assert.equal(res.statusCode, 200);
    let text = '';
    let ended = false;
    const waiters: (() => void)[] = [];
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      text += c;
      for (const w of waiters.splice(0)) w();
    });
    res.on('end', () => {
      ended = true;
      for (const w of waiters.splice(0)) w();
    });
    const lines = () =>
      text
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { type: string; object: KubeObject });
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise<void>((r) => waiters.push(r));
    };
    // The timeout's first step and the bookmark tick.
    await timersPending(base + 2);
    await until(() => lines().some((l) => l.object.metadata.annotations?.['k8s.io/initial-events-end'] === 'true'));

    clock.advance(MAX_TIMER_MS + 1);
    // Still open past one Node timer's limit: a write arrives as an event.
    const created = await raw(server, 'POST', CM, configMap('after-a-month'), { 'content-type': 'application/json' });
    assert.equal(created.status, 201, created.text);
    await until(() => lines().some((l) => l.type === 'ADDED' && l.object.metadata.name === 'after-a-month'));
    assert.equal(ended, false);

    clock.advance(seconds * 1000 - (MAX_TIMER_MS + 1));
    await until(() => ended);
    const last = lines().at(-1);
    assert.equal(last?.type, 'BOOKMARK');
    assert.equal(clock.pendingTimers(), base, 'the watch left no timer behind');
  });
});
