/**
 * Provenance: pick a reconcile and follow it. Its triggers (source, event, object, changed
 * paths), and for each the write of another reconcile that caused it, when there was one; its
 * writes (kind, fields, changed paths, bytes) and the reconciles each write set off in turn; the
 * writes it skipped. The chain of reconciles that led here is shown on top, as links.
 */
import { useState } from 'preact/hooks';
import { usePage } from '../app.js';
import { fmtBytes, fmtTime } from '../format.js';
import { objectIdOfTrigger, objectIdOfWrite, type Provenance } from '../provenance.js';
import type { ReconcileRecord } from '../types.js';

const SHOWN = 200;

/** The reconciles whose writes led to `record`, nearest first (following the first linked trigger). */
function ancestry(record: ReconcileRecord, provenance: Provenance): ReconcileRecord[] {
  const chain: ReconcileRecord[] = [];
  const seen = new Set([record.reconcileID]);
  let current = record;
  for (let i = 0; i < 12; i++) {
    const parent = current.triggers.map((t) => provenance.writeOf(t)?.record).find((r) => r !== undefined);
    if (parent === undefined || seen.has(parent.reconcileID)) break;
    chain.push(parent);
    seen.add(parent.reconcileID);
    current = parent;
  }
  return chain;
}

export function ReconcileLink({ record, label }: { record: ReconcileRecord; label?: string }) {
  const { go } = usePage();
  return (
    <a
      href={`#provenance/${encodeURIComponent(record.reconcileID)}`}
      data-reconcile={record.reconcileID}
      onClick={(e) => {
        e.preventDefault();
        go('provenance', record.reconcileID);
      }}
    >
      {label ?? `${record.controller} ${record.key} at ${fmtTime(record.startedAt)}`}
    </a>
  );
}

export function ObjectLink({ id }: { id: string }) {
  const { go } = usePage();
  return (
    <a
      href={`#objects/${encodeURIComponent(id)}`}
      onClick={(e) => {
        e.preventDefault();
        go('objects', id);
      }}
    >
      {id}
    </a>
  );
}

export function ProvenanceView() {
  const { feed, provenance, selection } = usePage();
  const [controller, setController] = useState('');
  const [key, setKey] = useState('');
  const [result, setResult] = useState('');
  const [withWrites, setWithWrites] = useState(false);
  const records = feed.records;
  const matching = records.filter(
    (r) =>
      (controller === '' || r.controller === controller) &&
      (key === '' || r.key.includes(key)) &&
      (result === '' || r.result === result) &&
      (!withWrites || r.writes.length > 0),
  );
  const shown = matching.slice(-SHOWN).reverse();
  const selected = selection === undefined ? undefined : provenance.byId.get(selection);
  const controllers = feed.state?.controllers.map((c) => c.name) ?? [];
  const results = [...new Set(records.map((r) => r.result))].sort();
  return (
    <div class="split">
      <section class="card list" aria-labelledby="recs-h">
        <h2 id="recs-h">Reconciles</h2>
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Controller
            <select value={controller} onChange={(e) => setController((e.target as HTMLSelectElement).value)}>
              <option value="">all</option>
              {controllers.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <label>
            Key contains
            <input type="search" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Result
            <select value={result} onChange={(e) => setResult((e.target as HTMLSelectElement).value)}>
              <option value="">all</option>
              {results.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label class="check">
            <input
              type="checkbox"
              checked={withWrites}
              onChange={(e) => setWithWrites((e.target as HTMLInputElement).checked)}
            />
            only those that wrote
          </label>
        </form>
        <p class="muted">
          {matching.length} of {records.length} recorded{matching.length > SHOWN ? `, newest ${SHOWN} shown` : ''}
        </p>
        <ul class="records" aria-label="Recorded reconciles, newest first">
          {shown.map((r) => (
            <li key={r.reconcileID} class={r.reconcileID === selection ? 'sel' : ''}>
              <ReconcileLink record={r} label={`${fmtTime(r.startedAt)} ${r.controller} ${r.key}`} />
              <span class={`result ${r.result}`}>{r.result}</span>
              <span class="muted">
                {r.totalTriggers} trig, {r.writes.length} writes
              </span>
            </li>
          ))}
        </ul>
      </section>
      <section class="card detail" aria-labelledby="trail-h" aria-live="polite">
        <h2 id="trail-h">Trail</h2>
        {selected === undefined ? (
          <p class="empty">
            {selection === undefined
              ? 'Pick a reconcile to see what set it off, what it wrote, and what its writes set off in turn.'
              : 'That reconcile is no longer in the record.'}
          </p>
        ) : (
          <Trail record={selected} />
        )}
      </section>
    </div>
  );
}

function Trail({ record }: { record: ReconcileRecord }) {
  const { provenance } = usePage();
  const chain = ancestry(record, provenance).reverse();
  return (
    <div data-trail={record.reconcileID}>
      {chain.length > 0 && (
        <nav aria-label="Reconciles that led here" class="chain">
          {chain.map((r) => (
            <span key={r.reconcileID}>
              <ReconcileLink record={r} label={`${r.controller} ${r.key}`} /> →{' '}
            </span>
          ))}
          <strong>
            {record.controller} {record.key}
          </strong>
        </nav>
      )}
      <dl class="facts">
        <dt>controller</dt>
        <dd>{record.controller}</dd>
        <dt>key</dt>
        <dd>{record.key}</dd>
        <dt>started</dt>
        <dd>{fmtTime(record.startedAt)}</dd>
        <dt>duration</dt>
        <dd>{record.durationMs} ms</dd>
        <dt>result</dt>
        <dd class={`result ${record.result}`}>
          {record.result}
          {record.requeueAfterMs !== undefined ? ` (after ${record.requeueAfterMs} ms)` : ''}
        </dd>
        <dt>retries before</dt>
        <dd>{record.retries}</dd>
        <dt>reconcile ID</dt>
        <dd>
          <code>{record.reconcileID}</code>
        </dd>
        {record.error !== undefined && (
          <>
            <dt>error</dt>
            <dd class="err">{record.error}</dd>
          </>
        )}
      </dl>
      <table data-table="triggers">
        <caption>
          Set off by {record.totalTriggers} trigger{record.totalTriggers === 1 ? '' : 's'}
          {record.totalTriggers > record.triggers.length ? ` (first ${record.triggers.length} kept)` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">source</th>
            <th scope="col">event</th>
            <th scope="col">object</th>
            <th scope="col">changed</th>
            <th scope="col">caused by</th>
          </tr>
        </thead>
        <tbody>
          {record.triggers.map((t, i) => {
            const id = objectIdOfTrigger(t);
            const cause = provenance.writeOf(t);
            return (
              <tr key={i}>
                <td>
                  <code>{t.source}</code>
                </td>
                <td>{t.event}</td>
                <td>
                  {id ? <ObjectLink id={id} /> : '-'}
                  {t.resourceVersion !== undefined && <span class="muted"> @{t.resourceVersion}</span>}
                </td>
                <td>
                  <code>{(t.changedPaths ?? t.changed ?? []).join(', ') || (t.error ?? '')}</code>
                </td>
                <td>
                  {cause ? (
                    <>
                      {cause.write.kind} by <ReconcileLink record={cause.record} />
                    </>
                  ) : (
                    <span class="muted">{t.object ? 'no recorded write (a user, another process, or older)' : ''}</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {record.totalTriggers > record.triggers.length && (
        <p class="muted">
          All triggers: {record.triggerCounts.map((c) => `${c.source} ${c.event} ×${c.count}`).join(', ')}
        </p>
      )}
      <table data-table="writes">
        <caption>
          {record.writes.length} write{record.writes.length === 1 ? '' : 's'} sent
        </caption>
        <thead>
          <tr>
            <th scope="col">kind</th>
            <th scope="col">object</th>
            <th scope="col">fields</th>
            <th scope="col" class="num">
              bytes
            </th>
            <th scope="col">set off</th>
          </tr>
        </thead>
        <tbody>
          {record.writes.map((w, i) => {
            const caused = provenance.causedBy(w);
            return (
              <tr key={i}>
                <td>{w.kind}</td>
                <td>
                  <ObjectLink id={objectIdOfWrite(w)} />
                  {w.resourceVersion !== undefined && <span class="muted"> @{w.resourceVersion}</span>}
                </td>
                <td>
                  <code>{(w.changedPaths ?? w.fields).join(', ')}</code>
                </td>
                <td class="num">{fmtBytes(w.bytes)}</td>
                <td data-caused={caused.length}>
                  {caused.length === 0 ? (
                    <span class="muted">no reconcile recorded</span>
                  ) : (
                    caused.map((c) => (
                      <div key={c.record.reconcileID}>
                        <code>{c.trigger.source}</code> → <ReconcileLink record={c.record} />
                      </div>
                    ))
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {record.skipped !== undefined && record.skipped.length > 0 && (
        <table data-table="skipped">
          <caption>{record.skipped.length} skipped: nothing would have changed</caption>
          <thead>
            <tr>
              <th scope="col">kind</th>
              <th scope="col">object</th>
              <th scope="col">reason</th>
            </tr>
          </thead>
          <tbody>
            {record.skipped.map((s, i) => (
              <tr key={i}>
                <td>{s.kind}</td>
                <td>
                  <ObjectLink id={`${s.type} ${s.key}`} />
                </td>
                <td>{s.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
