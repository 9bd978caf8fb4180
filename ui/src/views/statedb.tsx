/**
 * StateDB: the tables of the database the manager shows in its `statedb` debug section
 * (`mgr.addDebugSection('statedb', () => db.describe())`): size, revision, indexes, graveyard,
 * watches, initialization and write locks.
 */
import { usePage } from '../app.js';
import { fmtInt } from '../format.js';

interface TableInfo {
  name: string;
  size: number;
  revision: number;
  indexes: Array<{ name: string; unique: boolean; size: number }>;
  initialized: boolean;
  pendingInitializers: string[];
  deleteTrackers: number;
  graveyard: number;
  watches: number;
  locked: boolean;
}

export function StateDBView() {
  const { feed } = usePage();
  const db = feed.state?.statedb as { revision?: number; tables?: TableInfo[] } | undefined;
  if (db === undefined || !Array.isArray(db.tables)) {
    return (
      <section class="card">
        <h2>StateDB</h2>
        <p class="empty">
          No StateDB shown by this manager: add it with{' '}
          <code>mgr.addDebugSection('statedb', () =&gt; db.describe())</code>.
        </p>
      </section>
    );
  }
  return (
    <section class="card" aria-labelledby="db-h">
      <h2 id="db-h">StateDB tables</h2>
      <p class="muted">Database revision {db.revision ?? '-'}</p>
      <table data-table="statedb">
        <thead>
          <tr>
            <th scope="col">table</th>
            <th scope="col" class="num">
              objects
            </th>
            <th scope="col" class="num">
              revision
            </th>
            <th scope="col">indexes</th>
            <th scope="col">initialized</th>
            <th scope="col" class="num">
              graveyard
            </th>
            <th scope="col" class="num">
              delete trackers
            </th>
            <th scope="col" class="num">
              watches
            </th>
            <th scope="col">locked</th>
          </tr>
        </thead>
        <tbody>
          {db.tables.map((t) => (
            <tr key={t.name} data-table-name={t.name}>
              <td>{t.name}</td>
              <td class="num" data-col="size">
                {fmtInt(t.size)}
              </td>
              <td class="num">{t.revision}</td>
              <td>{t.indexes.map((i) => `${i.name}${i.unique ? ' (unique)' : ''}: ${i.size}`).join(', ')}</td>
              <td>{t.initialized ? 'yes' : `waiting for ${t.pendingInitializers.join(', ')}`}</td>
              <td class="num">{t.graveyard}</td>
              <td class="num">{t.deleteTrackers}</td>
              <td class="num">{t.watches}</td>
              <td>{t.locked ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
