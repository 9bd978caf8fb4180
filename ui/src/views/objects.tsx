/**
 * Objects: every object the record names (reconciled, written, or seen in a trigger), and for the
 * one picked, its timeline: the events of it that reached a controller, its reconciles, and the
 * writes to it, by time, each linked to its reconcile's trail.
 */
import { useState } from 'preact/hooks';
import { usePage } from '../app.js';
import { fmtBytes, fmtTime } from '../format.js';
import { ObjectLink, ReconcileLink } from './provenance.js';

const SHOWN = 300;

export function ObjectsView() {
  const { provenance, selection } = usePage();
  const [filter, setFilter] = useState('');
  const objects = [...provenance.objects.entries()]
    .filter(([id]) => filter === '' || id.toLowerCase().includes(filter.toLowerCase()))
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return (
    <div class="split">
      <section class="card list" aria-labelledby="objs-h">
        <h2 id="objs-h">Objects</h2>
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Find object
            <input
              type="search"
              value={filter}
              placeholder="kind, namespace or name"
              onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
            />
          </label>
        </form>
        <p class="muted">{objects.length} objects named in the record, busiest first</p>
        <ul class="records" aria-label="Objects">
          {objects.slice(0, SHOWN).map(([id, n]) => (
            <li key={id} class={id === selection ? 'sel' : ''}>
              <ObjectLink id={id} /> <span class="muted">{n}</span>
            </li>
          ))}
        </ul>
      </section>
      <section class="card detail" aria-labelledby="tl-h">
        <h2 id="tl-h">Timeline{selection ? `: ${selection}` : ''}</h2>
        {selection === undefined ? (
          <p class="empty">Pick an object to see its events, reconciles and writes in order.</p>
        ) : (
          <Timeline object={selection} />
        )}
      </section>
    </div>
  );
}

function Timeline({ object }: { object: string }) {
  const { provenance } = usePage();
  const entries = provenance.timeline(object);
  if (entries.length === 0) return <p class="empty">Nothing recorded about this object.</p>;
  return (
    <ol class="timeline" data-timeline={object}>
      {entries.map((e, i) => (
        <li key={i} class={e.kind}>
          <time>{fmtTime(e.at)}</time>
          {e.kind === 'reconcile' && (
            <span>
              reconciled by <ReconcileLink record={e.record} label={e.record.controller} />:{' '}
              <span class={`result ${e.record.result}`}>{e.record.result}</span>, {e.record.writes.length} writes,{' '}
              {e.record.durationMs} ms
            </span>
          )}
          {e.kind === 'write' && (
            <span>
              <strong>{e.write.kind}</strong> by <ReconcileLink record={e.record} label={e.record.controller} />{' '}
              <code>{(e.write.changedPaths ?? e.write.fields).join(', ')}</code> {fmtBytes(e.write.bytes)}
              {e.write.resourceVersion !== undefined && <span class="muted"> → @{e.write.resourceVersion}</span>}
            </span>
          )}
          {e.kind === 'event' && (
            <span>
              {e.trigger.event}
              {e.trigger.resourceVersion !== undefined && <span class="muted"> @{e.trigger.resourceVersion}</span>}{' '}
              <code>{(e.trigger.changedPaths ?? []).join(', ')}</code> → <code>{e.trigger.source}</code> of{' '}
              <ReconcileLink record={e.record} label={`${e.record.controller} ${e.record.key}`} />
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}
