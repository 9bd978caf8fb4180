/**
 * The page: a header (who this process is, whether it leads, whether the feed is live), tabs for
 * the views, and the view. The address keeps the view and its selection (`#provenance/<id>`,
 * `#objects/<object>`), so a link to a reconcile or an object can be shared and Back works.
 * Tabs follow the WAI-ARIA tabs pattern: Tab reaches the selected tab, arrows, Home and End move
 * between tabs.
 */
import { createContext } from 'preact';
import { useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Feed, FeedState } from './feed.js';
import { buildProvenance, forTypes, type Provenance } from './provenance.js';
import { CollectionsView } from './views/collections.js';
import { ControllersView } from './views/controllers.js';
import { InformersView } from './views/informers.js';
import { LeadershipView } from './views/leadership.js';
import { ObjectsView } from './views/objects.js';
import { ProvenanceView } from './views/provenance.js';
import { StateDBView } from './views/statedb.js';
import { WritesView } from './views/writes.js';

export const VIEWS = [
  { id: 'controllers', label: 'Controllers', View: ControllersView },
  { id: 'writes', label: 'Writes', View: WritesView },
  { id: 'provenance', label: 'Provenance', View: ProvenanceView },
  { id: 'objects', label: 'Objects', View: ObjectsView },
  { id: 'informers', label: 'Informers', View: InformersView },
  { id: 'collections', label: 'Collections', View: CollectionsView },
  { id: 'statedb', label: 'StateDB', View: StateDBView },
  { id: 'leadership', label: 'Leadership', View: LeadershipView },
] as const;

export type ViewId = (typeof VIEWS)[number]['id'];

/** What every view gets: the feed's state, the links between records, and navigation. */
export interface PageContext {
  feed: FeedState;
  provenance: Provenance;
  /** The selection of the current view (a reconcile ID, an object). */
  selection: string | undefined;
  go(view: ViewId, selection?: string): void;
}

export const Page = createContext<PageContext | undefined>(undefined);

export function usePage(): PageContext {
  const page = useContext(Page);
  if (!page) throw new Error('usePage outside the page');
  return page;
}

/** The address's fragment, decoded; as typed when it is no valid percent-encoding (a hand-edited link). */
function fragment(): string {
  const raw = location.hash.slice(1);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function parseHash(): { view: ViewId; selection: string | undefined } {
  const hash = fragment();
  const slash = hash.indexOf('/');
  const id = slash < 0 ? hash : hash.slice(0, slash);
  const view = VIEWS.find((v) => v.id === id)?.id ?? 'controllers';
  return { view, selection: slash < 0 ? undefined : hash.slice(slash + 1) || undefined };
}

export function App({ feed }: { feed: Feed }) {
  const [state, setState] = useState(feed.state);
  const [route, setRoute] = useState(parseHash);
  const tabs = useRef<Array<HTMLButtonElement | null>>([]);

  useEffect(() => feed.subscribe(setState), [feed]);
  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const types = useMemo(() => forTypes(state.state), [state.state]);
  const provenance = useMemo(() => buildProvenance(state.records, types), [state.records, types]);
  const go = (view: ViewId, selection?: string) => {
    location.hash = selection === undefined ? view : `${view}/${encodeURIComponent(selection)}`;
  };

  const onTabKey = (e: KeyboardEvent, index: number) => {
    const last = VIEWS.length - 1;
    const next =
      e.key === 'ArrowRight'
        ? index === last
          ? 0
          : index + 1
        : e.key === 'ArrowLeft'
          ? index === 0
            ? last
            : index - 1
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? last
              : undefined;
    if (next === undefined) return;
    e.preventDefault();
    go(VIEWS[next]!.id);
    tabs.current[next]?.focus();
  };

  const description = state.state;
  const leading = description?.leaderElection;
  const current = VIEWS.find((v) => v.id === route.view)!;
  const View = current.View;
  return (
    <Page.Provider value={{ feed: state, provenance, selection: route.selection, go }}>
      <header class="top">
        <h1>kloop</h1>
        <span class="who">{description?.identity ?? 'single replica'}</span>
        {leading && (
          <span class={`badge ${leading.leading ? 'ok' : 'warn'}`}>{leading.leading ? 'leader' : 'follower'}</span>
        )}
        {description?.sharding && (
          <span class="badge ok">
            shards {description.sharding.held.length}/{description.sharding.shards}
          </span>
        )}
        <span class={`badge conn ${state.connection}`} role="status" aria-live="polite">
          {state.connection === 'live' ? 'live' : state.connection === 'connecting' ? 'connecting…' : 'reconnecting…'}
        </span>
      </header>
      <nav>
        <div role="tablist" aria-label="Views" class="tabs">
          {VIEWS.map((v, i) => (
            <button
              type="button"
              role="tab"
              id={`tab-${v.id}`}
              key={v.id}
              ref={(el) => {
                tabs.current[i] = el;
              }}
              aria-selected={v.id === route.view}
              aria-controls={`panel-${v.id}`}
              tabIndex={v.id === route.view ? 0 : -1}
              onClick={() => go(v.id)}
              onKeyDown={(e) => onTabKey(e, i)}
            >
              {v.label}
            </button>
          ))}
        </div>
      </nav>
      <main>
        <div role="tabpanel" id={`panel-${current.id}`} aria-labelledby={`tab-${current.id}`}>
          {state.state === undefined ? <p class="empty">Waiting for the first reading…</p> : <View />}
        </div>
      </main>
    </Page.Provider>
  );
}
