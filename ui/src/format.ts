/** Number and time formatting shared by the views. */

export function fmtInt(n: number | undefined): string {
  return n === undefined ? '-' : Math.round(n).toLocaleString('en-US');
}

/** Seconds as a short duration: `850 us`, `12.3 ms`, `1.20 s`. */
export function fmtSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '-';
  if (s < 0.001) return `${Math.round(s * 1e6)} us`;
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
  return `${s.toFixed(2)} s`;
}

export function fmtBytes(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function fmtRate(n: number): string {
  return n >= 10 ? n.toFixed(0) : n.toFixed(n >= 1 ? 1 : 2);
}

/** `12:00:01.234` of an ISO time. */
export function fmtTime(iso: string): string {
  const d = new Date(iso);
  return `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function sumValues(map: Record<string, number> | undefined): number {
  let n = 0;
  for (const v of Object.values(map ?? {})) n += v;
  return n;
}
