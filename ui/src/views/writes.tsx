/**
 * Writes: what each controller sent and skipped per resource, by kind and by reason, with the
 * bytes sent against what whole-object updates of the same writes would have sent (each write
 * sent or skipped at the mean size of the resource's cached objects: an estimate, as the demo's
 * summary gives it), and writes per second over time.
 */
import { usePage } from '../app.js';
import { Chart } from '../chart.js';
import { fmtBytes, fmtInt, fmtRate, sumValues } from '../format.js';
import { timesOf } from './controllers.js';

function entries(map: Record<string, number>): string {
  const list = Object.entries(map);
  return list.length === 0 ? '-' : list.map(([k, v]) => `${k} ${v}`).join(', ');
}

export function WritesView() {
  const { feed } = usePage();
  const writes = feed.totals?.writes ?? [];
  const series = feed.series;
  const x = timesOf(series);
  const total = { sent: 0, skipped: 0, bytes: 0, whole: 0 };
  for (const w of writes) {
    total.sent += sumValues(w.sent);
    total.skipped += sumValues(w.skipped);
    total.bytes += w.bytes;
    total.whole += w.wholeObjectBytes;
  }
  const rate = (pick: (c: { writes: number; skipped: number; bytes: number }) => number) =>
    series.map((s) => {
      let n = 0;
      for (const c of Object.values(s.controllers)) n += pick(c);
      return n / (s.intervalMs / 1000);
    });
  return (
    <div>
      <section class="card" aria-labelledby="writes-h">
        <h2 id="writes-h">Writes by controller and resource</h2>
        <dl class="tiles">
          <div>
            <dt>writes sent</dt>
            <dd data-figure="sent">{fmtInt(total.sent)}</dd>
          </div>
          <div>
            <dt>skipped (no change)</dt>
            <dd data-figure="skipped">{fmtInt(total.skipped)}</dd>
          </div>
          <div>
            <dt>bytes sent</dt>
            <dd data-figure="bytes">{fmtBytes(total.bytes)}</dd>
          </div>
          <div>
            <dt>as whole objects (est.)</dt>
            <dd data-figure="whole">{fmtBytes(total.whole)}</dd>
          </div>
          <div>
            <dt>saved (est.)</dt>
            <dd data-figure="saved">
              {total.whole > 0 ? `${Math.max(0, Math.round((1 - total.bytes / total.whole) * 100))}%` : '-'}
            </dd>
          </div>
        </dl>
        {writes.length === 0 ? (
          <p class="empty">No write asked for yet.</p>
        ) : (
          <table data-table="writes">
            <caption>Since start; bytes are request bodies</caption>
            <thead>
              <tr>
                <th scope="col">controller</th>
                <th scope="col">resource</th>
                <th scope="col" class="num">
                  sent
                </th>
                <th scope="col">by kind</th>
                <th scope="col" class="num">
                  skipped
                </th>
                <th scope="col">by reason</th>
                <th scope="col" class="num">
                  bytes sent
                </th>
                <th scope="col" class="num">
                  whole objects (est.)
                </th>
              </tr>
            </thead>
            <tbody>
              {writes.map((w) => (
                <tr key={`${w.controller}/${w.resource}`} data-controller={w.controller} data-resource={w.resource}>
                  <td>{w.controller}</td>
                  <td>{w.resource}</td>
                  <td class="num" data-col="sent">
                    {sumValues(w.sent)}
                  </td>
                  <td>{entries(w.sent)}</td>
                  <td class="num" data-col="skipped">
                    {sumValues(w.skipped)}
                  </td>
                  <td>{entries(w.skipped)}</td>
                  <td class="num" data-col="bytes">
                    {w.bytes}
                  </td>
                  <td class="num" data-col="whole">
                    {w.wholeObjectBytes}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div class="charts">
          <Chart
            title="Writes per second: sent and skipped"
            x={x}
            format={fmtRate}
            series={[
              { label: 'sent', values: rate((c) => c.writes), color: '#2563eb' },
              { label: 'skipped', values: rate((c) => c.skipped), color: '#16a34a' },
            ]}
          />
          <Chart
            title="Bytes sent per second"
            x={x}
            format={fmtBytes}
            series={[{ label: 'bytes', values: rate((c) => c.bytes), color: '#7c3aed' }]}
          />
        </div>
      </section>
    </div>
  );
}
