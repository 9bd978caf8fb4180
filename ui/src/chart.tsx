/**
 * A time-series chart (uPlot) that follows its data: made once, `setData` on every point, resized
 * with its container. Stacked charts draw each series on top of the ones before (the values are
 * summed here and the areas between neighbours filled). The chart is an image to assistive
 * technology, labelled with its title and the latest values; every figure it plots is also in a
 * table on the same view.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#d97706',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#65a30d',
  '#9333ea',
  '#475569',
];

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  color?: string;
}

export interface ChartProps {
  title: string;
  /** Times, seconds since the epoch. */
  x: number[];
  series: ChartSeries[];
  stacked?: boolean;
  /** Formats the y values (axis and legend). */
  format?: (v: number) => string;
  height?: number;
}

function stack(series: ChartSeries[]): Array<Array<number | null>> {
  const out: Array<Array<number | null>> = [];
  let below: Array<number | null> | undefined;
  for (const s of series) {
    const summed = s.values.map((v, i) => (v ?? 0) + ((below?.[i] as number | undefined) ?? 0));
    out.push(summed);
    below = summed;
  }
  return out;
}

function dataOf(props: ChartProps): uPlot.AlignedData {
  const ys = props.stacked ? stack(props.series) : props.series.map((s) => s.values);
  return [props.x, ...ys] as uPlot.AlignedData;
}

function signature(props: ChartProps): string {
  return `${props.stacked ? 's' : 'l'}|${props.series.map((s) => s.label).join('|')}`;
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const made = useRef('');
  const sig = signature(props);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    if (plot.current && made.current === sig) {
      plot.current.setData(dataOf(props));
      return;
    }
    plot.current?.destroy();
    const format = props.format ?? ((v: number) => String(v));
    const raw = props.series;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 180,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{}, { values: (_u, ticks) => ticks.map(format), size: 76 }],
      series: [
        {},
        ...raw.map((s, i) => {
          const color = s.color ?? PALETTE[i % PALETTE.length]!;
          return {
            label: s.label,
            stroke: color,
            width: 1.5,
            fill: props.stacked ? `${color}55` : undefined,
            points: { show: false },
            spanGaps: !props.stacked,
            value: (_u: uPlot, v: number | null, _si: number, idx: number | null) => {
              // The legend shows each series' own value, not the stacked sum.
              const own = idx === null ? v : raw[i]!.values[idx];
              return own === null || own === undefined ? '-' : format(own);
            },
          };
        }),
      ],
      bands: props.stacked ? raw.slice(1).map((_s, i) => ({ series: [i + 2, i + 1] as [number, number] })) : [],
    };
    plot.current = new uPlot(opts, dataOf(props), el);
    made.current = sig;
  });

  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 180 });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, []);

  const latest = props.series
    .map((s) => {
      const v = s.values.at(-1);
      return `${s.label} ${v === null || v === undefined ? 'none' : (props.format ?? String)(v)}`;
    })
    .join(', ');
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={`${props.title}. Latest: ${latest || 'no data'}`} />
    </figure>
  );
}
