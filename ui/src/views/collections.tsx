/**
 * Collections: the dependency graph of the manager's collections (a column per depth: inputs on
 * the left, what derives from them to the right; solid arrows for primary inputs, dashed arrows
 * labelled with the filter for fetches), and each collection's size, state and counters.
 */
import { usePage } from '../app.js';
import { fmtInt } from '../format.js';

interface Dependency {
  collection: string;
  filter: string;
  count: number;
}

interface CollectionInfo {
  name: string;
  kind: string;
  rank: number;
  size: number;
  synced: boolean;
  disposed: boolean;
  dirty: number;
  dependencies: Dependency[];
  stats: { transformCalls: number; transformErrors: number; events: number; unchanged: number };
  errors: Array<{ key: string; message: string }>;
}

interface RegistryInfo {
  collections: CollectionInfo[];
  ticks: number;
  pending: boolean;
}

const W = 190;
const H = 46;
const GAP_X = 170;
const GAP_Y = 26;

function layout(collections: CollectionInfo[]) {
  const byName = new Map(collections.map((c) => [c.name, c]));
  const depth = new Map<string, number>();
  const depthOf = (c: CollectionInfo, seen: Set<string>): number => {
    const known = depth.get(c.name);
    if (known !== undefined) return known;
    seen.add(c.name);
    let d = 0;
    for (const dep of c.dependencies) {
      const from = byName.get(dep.collection);
      if (from && !seen.has(from.name)) d = Math.max(d, depthOf(from, seen) + 1);
    }
    depth.set(c.name, d);
    return d;
  };
  const columns: CollectionInfo[][] = [];
  for (const c of [...collections].sort((a, b) => a.rank - b.rank)) {
    const d = depthOf(c, new Set());
    (columns[d] ??= []).push(c);
  }
  const position = new Map<string, { x: number; y: number }>();
  for (const [i, column] of columns.entries()) {
    for (const [j, c] of column.entries()) position.set(c.name, { x: 10 + i * (W + GAP_X), y: 24 + j * (H + GAP_Y) });
  }
  const width = 20 + columns.length * (W + GAP_X) - GAP_X;
  const height = 34 + Math.max(1, ...columns.map((c) => c.length)) * (H + GAP_Y) - GAP_Y;
  return { position, width, height };
}

export function CollectionsView() {
  const { feed } = usePage();
  const registry = feed.state?.collections as RegistryInfo | undefined;
  if (registry === undefined || !Array.isArray(registry.collections) || registry.collections.length === 0) {
    return (
      <section class="card">
        <h2>Collections</h2>
        <p class="empty">
          This manager has no collections registered: pass <code>collections</code> (a <code>CollectionRegistry</code>)
          to the Manager.
        </p>
      </section>
    );
  }
  const collections = registry.collections;
  const { position, width, height } = layout(collections);
  const edges = collections.flatMap((c) =>
    c.dependencies
      .filter((d) => position.has(d.collection))
      .map((d) => ({
        from: position.get(d.collection)!,
        to: position.get(c.name)!,
        dep: d,
        key: `${d.collection}>${c.name}>${d.filter}`,
      })),
  );
  return (
    <div>
      <section class="card" aria-labelledby="coll-h">
        <h2 id="coll-h">Collections dependency graph</h2>
        <p class="muted">
          {registry.ticks} ticks{registry.pending ? ', a tick pending' : ''}. Solid: primary input; dashed: fetched
          through a filter (count of transforms that fetched).
        </p>
        <div class="graph">
          <svg
            width={width}
            height={height}
            viewBox={`0 0 ${width} ${height}`}
            role="img"
            aria-label={`Dependency graph of ${collections.length} collections: ${edges
              .map((e) => `${e.dep.collection} to ${e.key.split('>')[1]}`)
              .join('; ')}`}
          >
            <defs>
              <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
                <path d="M0,0 L10,5 L0,10 z" fill="#64748b" />
              </marker>
            </defs>
            {edges.map((e) => {
              const x1 = e.from.x + W;
              const y1 = e.from.y + H / 2;
              const x2 = e.to.x;
              const y2 = e.to.y + H / 2;
              const mid = (x1 + x2) / 2;
              const primary = e.dep.filter === 'primary';
              return (
                <g key={e.key}>
                  <path
                    d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
                    fill="none"
                    stroke="#64748b"
                    stroke-dasharray={primary ? undefined : '5 4'}
                    marker-end="url(#arrow)"
                  />
                  {!primary && (
                    <text x={mid} y={Math.min(y1, y2) - 6} text-anchor="middle" class="edge-label">
                      {e.dep.filter.length > 26 ? `${e.dep.filter.slice(0, 25)}…` : e.dep.filter} ×{e.dep.count}
                    </text>
                  )}
                </g>
              );
            })}
            {collections.map((c) => {
              const p = position.get(c.name)!;
              return (
                <g key={c.name} data-collection={c.name}>
                  <rect x={p.x} y={p.y} width={W} height={H} rx="6" class={c.errors.length > 0 ? 'node bad' : 'node'} />
                  <text x={p.x + 10} y={p.y + 19} class="node-name">
                    {c.name.length > 24 ? `${c.name.slice(0, 23)}…` : c.name}
                  </text>
                  <text x={p.x + 10} y={p.y + 36} class="node-meta">
                    {c.kind}, {c.size} items{c.synced ? '' : ', syncing'}
                  </text>
                </g>
              );
            })}
          </svg>
        </div>
      </section>
      <section class="card" aria-labelledby="colls-h">
        <h2 id="colls-h">Collections</h2>
        <table data-table="collections">
          <thead>
            <tr>
              <th scope="col">name</th>
              <th scope="col">kind</th>
              <th scope="col" class="num">
                items
              </th>
              <th scope="col">synced</th>
              <th scope="col" class="num">
                dirty
              </th>
              <th scope="col" class="num">
                transforms
              </th>
              <th scope="col" class="num">
                unchanged
              </th>
              <th scope="col" class="num">
                events out
              </th>
              <th scope="col" class="num">
                errors
              </th>
              <th scope="col">inputs</th>
            </tr>
          </thead>
          <tbody>
            {collections.map((c) => (
              <tr key={c.name} data-collection={c.name}>
                <td>{c.name}</td>
                <td>{c.kind}</td>
                <td class="num" data-col="size">
                  {fmtInt(c.size)}
                </td>
                <td data-col="synced">{c.synced ? 'yes' : 'no'}</td>
                <td class="num">{c.dirty}</td>
                <td class="num">{fmtInt(c.stats.transformCalls)}</td>
                <td class="num">{fmtInt(c.stats.unchanged)}</td>
                <td class="num">{fmtInt(c.stats.events)}</td>
                <td
                  class={`num ${c.stats.transformErrors > 0 ? 'bad' : ''}`}
                  title={c.errors.map((e) => `${e.key}: ${e.message}`).join('\n')}
                >
                  {fmtInt(c.stats.transformErrors)}
                </td>
                <td>{c.dependencies.map((d) => `${d.collection} (${d.filter})`).join(', ') || '-'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
