/** Types of `build-ui.mjs` for the tests that build the dashboard. */
export declare const PAGE_WEIGHT_BUDGET: number;
export declare function buildDashboard(
  outdir?: string,
): Promise<Record<'index.html' | 'app.js' | 'app.css', { bytes: number; gzip: number }>>;
