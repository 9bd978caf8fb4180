/**
 * Informers: each shared informer's scope, sync state, size and resourceVersion (from
 * `/debug/kloop`), with its events, relists by reason and watch restarts by reason (from
 * `/metrics`, which counts by resource), and events per second over time.
 */
import { usePage } from '../app.js';
import { Chart, PALETTE } from '../chart.js';
import { fmtInt, fmtRate, sumValues } from '../format.js';
import { timesOf } from './controllers.js';

function entries(map: Record<string, number> | undefined): string {
  const list = Object.entries(map ?? {});
  return list.length === 0 ? '-' : list.map(([k, v]) => `${k} ${v}`).join(', ');
}

export function InformersView() {
  const { feed } = usePage();
  const informers = feed.state?.informers ?? [];
  const byResource = new Map((feed.totals?.informers ?? []).map((i) => [i.resource, i]));
  const resourceOf = new Map((feed.totals?.objectSizes ?? []).map((s) => [s.type, s.resource]));
  const series = feed.series;
  const x = timesOf(series);
  const resources = [...byResource.keys()];
  const recent = series.slice(-10);
  const recentRate = (resource: string) => {
    let events = 0;
    let ms = 0;
    for (const s of recent) {
      events += s.informers[resource]?.events ?? 0;
      ms += s.intervalMs;
    }
    return ms > 0 ? events / (ms / 1000) : 0;
  };
  const missing = feed.state?.missingTypes ?? [];
  return (
    <div>
      {missing.length > 0 && (
        <section class="card warn" aria-labelledby="missing-h">
          <h2 id="missing-h">Resource types the server does not serve</h2>
          <ul>
            {missing.map((m) => (
              <li key={m.type}>
                <code>{m.type}</code>: {m.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section class="card" aria-labelledby="inf-h">
        <h2 id="inf-h">Informers</h2>
        <table data-table="informers">
          <caption>One per type and scope, shared by every controller, collection and table</caption>
          <thead>
            <tr>
              <th scope="col">type</th>
              <th scope="col">scope</th>
              <th scope="col">synced</th>
              <th scope="col" class="num">
                objects
              </th>
              <th scope="col">resourceVersion</th>
              <th scope="col" class="num">
                events
              </th>
              <th scope="col" class="num">
                events/s (10 s)
              </th>
              <th scope="col">relists by reason</th>
              <th scope="col">watch restarts</th>
            </tr>
          </thead>
          <tbody>
            {informers.map((i) => {
              const resource = resourceOf.get(i.type);
              const m = resource === undefined ? undefined : byResource.get(resource);
              const scope = [i.namespace && `ns ${i.namespace}`, i.labelSelector, i.fieldSelector]
                .filter(Boolean)
                .join(', ');
              return (
                <tr
                  key={`${i.type}|${i.namespace ?? ''}|${i.labelSelector ?? ''}`}
                  data-type={i.type}
                  data-resource={resource}
                >
                  <td>
                    <code>{i.type}</code>
                  </td>
                  <td>{scope || 'cluster'}</td>
                  <td class={i.synced ? 'ok' : 'bad'} data-col="synced">
                    {i.synced ? 'yes' : (i.missing ?? 'no')}
                  </td>
                  <td class="num" data-col="size">
                    {fmtInt(i.size)}
                  </td>
                  <td>{i.resourceVersion ?? '-'}</td>
                  <td class="num" data-col="events" title={entries(m?.events)}>
                    {m ? sumValues(m.events) : '-'}
                  </td>
                  <td class="num">{resource ? fmtRate(recentRate(resource)) : '-'}</td>
                  <td data-col="relists">{entries(m?.relists)}</td>
                  <td>{entries(m?.watchRestarts)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <p class="muted">
          Events and relists are counted per resource: informers of one type in several namespaces share a row's
          figures.
        </p>
        <div class="charts">
          <Chart
            title="Informer events per second by resource"
            x={x}
            format={fmtRate}
            series={resources.map((r, i) => ({
              label: r,
              color: PALETTE[i % PALETTE.length],
              values: series.map((s) => (s.informers[r]?.events ?? 0) / (s.intervalMs / 1000)),
            }))}
          />
          <Chart
            title="Relists per interval"
            x={x}
            series={[
              {
                label: 'relists',
                color: '#dc2626',
                values: series.map((s) => Object.values(s.informers).reduce((n, i) => n + i.relists, 0)),
              },
            ]}
          />
        </div>
      </section>
    </div>
  );
}
