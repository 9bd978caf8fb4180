/**
 * Controllers: per controller, its sources and predicates, the queue (depth and keys in flight
 * over time, the keys in flight now with their triggers), what sets it off (reconciles per second
 * stacked by the source and event of the trigger that queued them; every trigger folded in, per
 * source and event, in the table), how reconciles end (results, errors, duration p50/p99) and the
 * hot loops found.
 */
import { usePage } from '../app.js';
import { Chart, PALETTE } from '../chart.js';
import { fmtInt, fmtRate, fmtSeconds, fmtTime, sumValues } from '../format.js';
import type { ControllerDebugDescription, DashboardSample } from '../types.js';

export function timesOf(series: readonly DashboardSample[]): number[] {
  return series.map((s) => s.t / 1000);
}

/** The `source event` keys of a controller's reconciles (by first trigger) over the series, busiest first. */
function triggerKeys(series: readonly DashboardSample[], name: string): string[] {
  const totals = new Map<string, number>();
  for (const s of series) {
    for (const [k, v] of Object.entries(s.controllers[name]?.reconciles ?? {})) totals.set(k, (totals.get(k) ?? 0) + v);
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
}

function perSecond(s: DashboardSample, n: number | undefined): number {
  return (n ?? 0) / (s.intervalMs / 1000);
}

export function ControllersView() {
  const { feed } = usePage();
  const controllers = feed.state?.controllers ?? [];
  if (controllers.length === 0) return <p class="empty">No controllers in this manager.</p>;
  return (
    <div>
      {controllers.map((c) => (
        <ControllerCard key={c.name} controller={c} />
      ))}
    </div>
  );
}

function ControllerCard({ controller: c }: { controller: ControllerDebugDescription }) {
  const { feed, go } = usePage();
  const totals = feed.totals?.controllers[c.name];
  const series = feed.series;
  const x = timesOf(series);
  const keys = triggerKeys(series, c.name);
  const results = totals?.results ?? {};
  const reconciles = sumValues(results);
  const hot = c.hotLoops ?? [];
  const last = series.at(-1)?.controllers[c.name];
  const errors = feed.records
    .filter((r) => r.controller === c.name && r.error !== undefined)
    .slice(-5)
    .reverse();
  return (
    <section class="card" aria-labelledby={`ctl-${c.name}`} data-controller={c.name}>
      <h2 id={`ctl-${c.name}`}>
        {c.name}
        {!c.running && <span class="badge warn">not running</span>}
        {hot.length > 0 && (
          <span class="badge bad" data-hot-loops={hot.length}>
            hot loop{hot.length > 1 ? 's' : ''}: {hot.length}
          </span>
        )}
      </h2>
      <p class="sources">
        {c.sources.map((s) => (
          <span class="source" key={s.source}>
            <code>{s.source}</code>
            {s.predicates.length > 0 && <span class="pred"> if {s.predicates.join(' and ')}</span>}
          </span>
        ))}
        {c.eventFilters.length > 0 && (
          <span class="source">
            every source if <code>{c.eventFilters.join(' and ')}</code>
          </span>
        )}
        <span class="source">concurrency {c.concurrency}</span>
      </p>
      <dl class="tiles">
        <div>
          <dt>queue depth</dt>
          <dd data-figure="depth">{fmtInt(c.queue.depth)}</dd>
        </div>
        <div>
          <dt>in flight</dt>
          <dd data-figure="inflight">{fmtInt(c.queue.inFlight.length)}</dd>
        </div>
        <div>
          <dt>reconciles</dt>
          <dd data-figure="reconciles">{fmtInt(reconciles)}</dd>
        </div>
        <div>
          <dt>errors</dt>
          <dd data-figure="errors" class={totals?.errors ? 'bad' : ''}>
            {fmtInt(totals?.errors ?? 0)}
          </dd>
        </div>
        <div>
          <dt>duration p50</dt>
          <dd data-figure="p50">{fmtSeconds(totals?.p50)}</dd>
        </div>
        <div>
          <dt>duration p99</dt>
          <dd data-figure="p99">{fmtSeconds(totals?.p99)}</dd>
        </div>
        <div>
          <dt>hot loops</dt>
          <dd data-figure="hotloops" class={totals?.hotLoops ? 'bad' : ''}>
            {fmtInt(totals?.hotLoops ?? 0)}
          </dd>
        </div>
      </dl>
      <div class="charts">
        <Chart
          title="Queue depth and keys in flight"
          x={x}
          series={[
            { label: 'depth', values: series.map((s) => s.controllers[c.name]?.depth ?? null) },
            { label: 'in flight', values: series.map((s) => s.controllers[c.name]?.inFlight ?? null) },
          ]}
        />
        <Chart
          title="Reconciles per second by trigger source and event (stacked)"
          x={x}
          stacked
          format={fmtRate}
          series={keys.map((k, i) => ({
            label: k,
            color: PALETTE[i % PALETTE.length],
            values: series.map((s) => perSecond(s, s.controllers[c.name]?.reconciles[k])),
          }))}
        />
        <Chart
          title="Reconciles per second by result (stacked)"
          x={x}
          stacked
          format={fmtRate}
          series={Object.keys(results).map((r) => ({
            label: r,
            color:
              r === 'success'
                ? '#16a34a'
                : r === 'requeue_after'
                  ? '#2563eb'
                  : r === 'conflict'
                    ? '#d97706'
                    : '#dc2626',
            values: series.map((s) => perSecond(s, s.controllers[c.name]?.results[r])),
          }))}
        />
        <Chart
          title="Reconcile duration p50 and p99 per interval"
          x={x}
          format={fmtSeconds}
          series={[
            { label: 'p50', values: series.map((s) => s.controllers[c.name]?.p50 ?? null) },
            { label: 'p99', values: series.map((s) => s.controllers[c.name]?.p99 ?? null) },
          ]}
        />
      </div>
      <div class="cols">
        <table>
          <caption>Results since start</caption>
          <thead>
            <tr>
              <th scope="col">result</th>
              <th scope="col" class="num">
                reconciles
              </th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(results).map(([r, n]) => (
              <tr key={r} data-result={r}>
                <td>{r}</td>
                <td class="num">{fmtInt(n)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <table>
          <caption>Triggers since start: every event folded in, and the reconciles each queued</caption>
          <thead>
            <tr>
              <th scope="col">source</th>
              <th scope="col">event</th>
              <th scope="col" class="num">
                count
              </th>
              <th scope="col" class="num" title="reconciles whose first trigger this was">
                queued
              </th>
              <th scope="col" class="num">
                last /s
              </th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(totals?.triggers ?? {})
              .sort((a, b) => b[1] - a[1])
              .map(([k, n]) => {
                const space = k.lastIndexOf(' ');
                const sample = series.at(-1);
                return (
                  <tr key={k} data-trigger={k}>
                    <td>
                      <code>{k.slice(0, space)}</code>
                    </td>
                    <td>{k.slice(space + 1)}</td>
                    <td class="num">{fmtInt(n)}</td>
                    <td class="num" data-col="queued">
                      {fmtInt(totals?.firstTriggers[k] ?? 0)}
                    </td>
                    <td class="num">{sample ? fmtRate(perSecond(sample, last?.triggers[k])) : '-'}</td>
                  </tr>
                );
              })}
          </tbody>
        </table>
      </div>
      {hot.length > 0 && (
        <table class="hot">
          <caption>Hot loops: each reconcile wrote the same fields and was set off again by its own write</caption>
          <thead>
            <tr>
              <th scope="col">key</th>
              <th scope="col">objects written</th>
              <th scope="col">fields</th>
              <th scope="col" class="num">
                laps
              </th>
              <th scope="col">found</th>
            </tr>
          </thead>
          <tbody>
            {hot.map((h) => (
              <tr key={`${h.key}${h.detectedAt}`}>
                <td>
                  <a href={`#provenance/${encodeURIComponent(h.reconcileID)}`}>{h.key}</a>
                </td>
                <td>{h.objects.join(', ')}</td>
                <td>
                  <code>{h.fields.join(', ')}</code>
                </td>
                <td class="num">{h.laps}</td>
                <td>{fmtTime(h.detectedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {c.queue.inFlight.length > 0 && (
        <table>
          <caption>Keys in flight</caption>
          <thead>
            <tr>
              <th scope="col">key</th>
              <th scope="col" class="num">
                triggers
              </th>
              <th scope="col">first triggers</th>
            </tr>
          </thead>
          <tbody>
            {c.queue.inFlight.map((i) => (
              <tr key={i.key}>
                <td>{i.key}</td>
                <td class="num">{i.totalTriggers}</td>
                <td>
                  {(i.triggers as Array<{ source: string; event: string }>)
                    .slice(0, 3)
                    .map((t) => `${t.source} ${t.event}`)
                    .join(', ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {errors.length > 0 && (
        <table>
          <caption>Latest failed reconciles</caption>
          <thead>
            <tr>
              <th scope="col">time</th>
              <th scope="col">key</th>
              <th scope="col">result</th>
              <th scope="col">error</th>
            </tr>
          </thead>
          <tbody>
            {errors.map((r) => (
              <tr key={r.reconcileID}>
                <td>
                  <a
                    href={`#provenance/${encodeURIComponent(r.reconcileID)}`}
                    onClick={(e) => {
                      e.preventDefault();
                      go('provenance', r.reconcileID);
                    }}
                  >
                    {fmtTime(r.startedAt)}
                  </a>
                </td>
                <td>{r.key}</td>
                <td>{r.result}</td>
                <td class="err">{r.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
