/**
 * Leadership and shards: this process's identity; with leader election the Lease, who leads,
 * whether this process may write, and `kloop_leader`; with sharding the members and a grid of the
 * shards, the ones held here marked. Also the cache's scope and any other debug sections, as
 * JSON (already redacted).
 */
import { usePage } from '../app.js';

const KNOWN = new Set([
  'started',
  'identity',
  'leaderElection',
  'sharding',
  'controllers',
  'informers',
  'cache',
  'missingTypes',
  'filter',
  'collections',
  'statedb',
]);

export function LeadershipView() {
  const { feed } = usePage();
  const d = feed.state!;
  const le = d.leaderElection;
  const sh = d.sharding;
  const extra = Object.entries(d).filter(([k]) => !KNOWN.has(k));
  return (
    <div>
      <section class="card" aria-labelledby="lead-h">
        <h2 id="lead-h">Leadership</h2>
        <dl class="facts">
          <dt>identity</dt>
          <dd data-figure="identity">{d.identity ?? '(no leader election or sharding)'}</dd>
          <dt>running</dt>
          <dd>{d.started ? 'yes' : 'no'}</dd>
        </dl>
        {le && (
          <dl class="facts" data-leader-election>
            <dt>Lease</dt>
            <dd>
              <code>{le.lease}</code>
            </dd>
            <dt>this process</dt>
            <dd data-figure="leading" class={le.leading ? 'ok' : 'warn'}>
              {le.leading ? 'leads' : 'follows'}
            </dd>
            <dt>may write</dt>
            <dd class={le.canWrite ? 'ok' : 'warn'}>{le.canWrite ? 'yes (renewal fresh)' : 'no (fenced)'}</dd>
            <dt>leader</dt>
            <dd data-figure="leader">{le.leader ?? 'none'}</dd>
            <dt>kloop_leader</dt>
            <dd data-figure="leader-gauge">{feed.totals?.leader[le.lease] ?? '-'}</dd>
          </dl>
        )}
        {!le && !sh && <p class="muted">One replica, no Lease: this process runs every controller.</p>}
      </section>
      {sh && (
        <section class="card" aria-labelledby="shards-h">
          <h2 id="shards-h">Shards</h2>
          <p data-figure="shards">
            {sh.held.length} of {sh.shards} shards held here; members: {sh.members.join(', ') || '-'}; keys skipped as
            not owned: {sh.skippedNotOwned}
          </p>
          {sh.mismatchedMembers.length > 0 && (
            <p class="bad">Members disagree on the shard count: {sh.mismatchedMembers.join(', ')}</p>
          )}
          <ul class="shards" aria-label="Shards">
            {Array.from({ length: sh.shards }, (_, i) => (
              <li
                key={i}
                class={sh.held.includes(i) ? 'held' : ''}
                aria-label={`shard ${i}${sh.held.includes(i) ? ', held here' : ''}`}
              >
                {i}
              </li>
            ))}
          </ul>
        </section>
      )}
      {d.cache !== undefined && (
        <section class="card" aria-labelledby="scope-h">
          <h2 id="scope-h">Cache scope</h2>
          <pre>{JSON.stringify(d.cache, null, 2)}</pre>
        </section>
      )}
      {extra.map(([name, value]) => (
        <section class="card" key={name} aria-labelledby={`sec-${name}`}>
          <h2 id={`sec-${name}`}>{name}</h2>
          <pre>{JSON.stringify(value, null, 2)}</pre>
        </section>
      ))}
    </div>
  );
}
