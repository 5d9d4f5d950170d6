/** A curves model as a plotly figure: one line per series, colour per run, dash per metric. */
import { curveStyles } from 'cglab/display/curves';
import type { CurvesModel } from 'cglab/display/mime';
import type { Figure } from './figure.js';

/** Plotly's dash from an SVG dasharray: the same pattern in both views. */
export function plotlyDash(dasharray: string): string {
  return dasharray ? dasharray.split(' ').map((v) => `${v}px`).join(',') : 'solid';
}

/** The plotly figure of `m`. Zoom and hidden traces survive live updates (uirevision). */
export function curvesFigure(m: CurvesModel): Figure {
  const styles = curveStyles(m);
  return {
    data: m.series.map((s, k) => ({
      type: 'scatter',
      mode: s.x.length === 1 ? 'markers' : 'lines',
      name: s.run === s.name ? s.name : `${s.run}: ${s.name}`,
      x: s.x,
      y: s.y,
      line: { color: styles[k].color, dash: plotlyDash(styles[k].dash), width: 2 },
      marker: { color: styles[k].color },
    })),
    layout: {
      title: { text: m.title },
      height: 340,
      margin: { l: 60, r: 20, t: 50, b: 50 },
      xaxis: { title: { text: m.xLabel }, type: m.logX ? 'log' : 'linear' },
      yaxis: { title: { text: m.yLabel }, type: m.logY ? 'log' : 'linear' },
      uirevision: m.title,
      showlegend: true,
    },
  };
}
