/**
 * Charts for reports, as standalone SVG: line charts (loss curves, episodic return, KL per latent
 * over training), grouped bar charts with error bars (KL per latent, the transfer table) and
 * scatter plots (the β sweep: disentanglement against transfer). Built
 * with Vega-Lite and rendered headless by Vega (renderer 'none' → toSVG), so no canvas or browser is
 * needed; the SVG can be written beside report.md and inlined in report.html.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';

export interface LineSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface LineChartOptions {
  title: string;
  series: readonly LineSeries[];
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  width?: number;
  height?: number;
}

export interface BarRow {
  /** The x-axis group (e.g. a variant name, or a latent index). */
  group: string;
  /** The bar within a group (e.g. an agent kind); colours the bar. */
  category: string;
  value: number;
  /** Optional error bar (e.g. a 95% confidence interval). */
  lo?: number;
  hi?: number;
}

export interface BarChartOptions {
  title: string;
  rows: readonly BarRow[];
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Fix the y domain (e.g. [0, 1.2] for ratios). */
  yDomain?: [number, number];
}

async function render(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function lineChartSvg(opts: LineChartOptions): Promise<string> {
  const values = opts.series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!opts.logY || y > 0)).map(([x, y]) => ({ series: s.name, x, y })));
  return render({
    title: opts.title,
    width: opts.width ?? 480,
    height: opts.height ?? 240,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.xLabel },
      y: { field: 'y', type: 'quantitative', title: opts.yLabel, scale: opts.logY ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, legend: opts.series.length > 1 ? {} : null },
    },
  });
}

export async function barChartSvg(opts: BarChartOptions): Promise<string> {
  const values = opts.rows.map((r) => ({ ...r, lo: r.lo ?? r.value, hi: r.hi ?? r.value }));
  const hasErrors = opts.rows.some((r) => r.lo !== undefined || r.hi !== undefined);
  const yScale = opts.yDomain ? { domain: opts.yDomain } : {};
  // Vega-Lite's layer types are deep generics; the spec is checked by vl.compile at run time.
  const layers: Record<string, unknown>[] = [
    {
      mark: 'bar',
      encoding: {
        y: { field: 'value', type: 'quantitative', title: opts.yLabel, scale: yScale },
        color: { field: 'category', type: 'nominal', title: null },
      },
    },
  ];
  if (hasErrors) {
    layers.push({
      mark: { type: 'rule', color: 'black' },
      encoding: {
        y: { field: 'lo', type: 'quantitative', scale: yScale },
        y2: { field: 'hi' },
      },
    });
  }
  return render({
    title: opts.title,
    data: { values },
    width: { step: 24 },
    height: opts.height ?? 240,
    encoding: {
      x: { field: 'group', type: 'nominal', title: opts.xLabel, sort: null, axis: { labelAngle: -30 } },
      xOffset: { field: 'category', type: 'nominal', sort: null },
    },
    layer: layers,
  } as unknown as vl.TopLevelSpec);
}

export interface ScatterPoint {
  x: number;
  y: number;
  /** Colours the point (e.g. β). */
  group: string;
  /** Optional vertical error bar. */
  lo?: number;
  hi?: number;
}

export interface ScatterChartOptions {
  title: string;
  points: readonly ScatterPoint[];
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
}

export async function scatterChartSvg(opts: ScatterChartOptions): Promise<string> {
  const values = opts.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).map((p) => ({ ...p, lo: p.lo ?? p.y, hi: p.hi ?? p.y }));
  const groups = [...new Set(values.map((v) => v.group))];
  const layers: Record<string, unknown>[] = [
    { mark: { type: 'rule', color: '#888' }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    {
      mark: { type: 'point', filled: true, size: 70 },
      encoding: {
        y: { field: 'y', type: 'quantitative', title: opts.yLabel, scale: { zero: false } },
        color: { field: 'group', type: 'nominal', title: null, sort: groups },
      },
    },
  ];
  return render({
    title: opts.title,
    width: opts.width ?? 420,
    height: opts.height ?? 280,
    data: { values },
    encoding: { x: { field: 'x', type: 'quantitative', title: opts.xLabel, scale: { zero: false } } },
    layer: layers,
  } as unknown as vl.TopLevelSpec);
}
