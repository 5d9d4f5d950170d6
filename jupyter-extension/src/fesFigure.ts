/**
 * A FES model as a plotly figure: profiles as lines, surfaces as heatmaps with contour lines,
 * panels side by side on one energy scale, basins marked on every panel.
 */
import type { FesModel } from 'cglab/display/mime';
import type { Figure } from './figure.js';

// Dark basins, light barriers: the same direction as the SVG fallback.
const SEQUENTIAL = 'Viridis';
const DIVERGING = [
  [0, '#2850aa'],
  [0.25, '#a0bee1'],
  [0.5, '#f8f8f8'],
  [0.75, '#e6a08c'],
  [1, '#b42828'],
];

/** The plotly figure of `m`. */
export function fesFigure(m: FesModel): Figure {
  const n = m.panels.length;
  const gap = 0.08;
  const width = (1 - gap * (n - 1)) / n;
  const diff = m.mode === 'difference';
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: m.title },
    margin: { l: 60, r: 20, t: 50, b: 50 },
    height: 380,
    showlegend: false,
    annotations: [] as Record<string, unknown>[],
  };
  m.panels.forEach((p, k) => {
    const suffix = k === 0 ? '' : String(k + 1);
    const xa = `x${suffix}`;
    const ya = `y${suffix}`;
    layout[`xaxis${suffix}`] = { domain: [k * (width + gap), k * (width + gap) + width], title: { text: m.xLabel }, anchor: ya };
    (layout.annotations as Record<string, unknown>[]).push({
      text: `<b>${p.label}</b>`, xref: `${xa} domain`, yref: `${ya} domain`, x: 0.5, y: 1.02, xanchor: 'center', yanchor: 'bottom', showarrow: false,
    });
    if (p.dim === 1) {
      layout[`yaxis${suffix}`] = {
        title: { text: `${diff ? 'ΔF' : 'F'} (${m.unit})` }, anchor: xa, range: diff ? [-m.maxF, m.maxF] : [0, m.maxF * 1.05],
        ...(k > 0 && !diff ? { matches: 'y' } : {}),
      };
      data.push({ type: 'scatter', mode: 'lines+markers', x: p.x, y: p.F, name: p.label, xaxis: xa, yaxis: ya, connectgaps: false, line: { width: 2 }, marker: { size: 4 } });
      const marks = m.basins.filter((b) => b.F !== undefined);
      if (marks.length) {
        data.push({
          type: 'scatter', mode: 'markers+text', x: marks.map((b) => b.x), y: marks.map((b) => b.F), text: marks.map((b) => b.name), textposition: 'top center',
          marker: { size: 9, color: '#d62728' }, xaxis: xa, yaxis: ya, hovertemplate: '%{text}: %{y:.2f} ' + m.unit + '<extra></extra>',
        });
      }
    } else {
      layout[`yaxis${suffix}`] = { title: { text: k === 0 ? m.yLabel ?? 'y' : '' }, anchor: xa };
      const scale = diff ? { zmin: -m.maxF, zmax: m.maxF, colorscale: DIVERGING } : { zmin: 0, zmax: m.maxF, colorscale: SEQUENTIAL };
      data.push({
        type: 'heatmap', x: p.x, y: p.y, z: p.F, xaxis: xa, yaxis: ya, ...scale, name: p.label, showscale: k === n - 1,
        colorbar: { title: { text: m.unit } }, hovertemplate: `${m.xLabel} %{x:.3g}, ${m.yLabel ?? 'y'} %{y:.3g}: %{z:.2f} ${m.unit}<extra>${p.label}</extra>`,
      });
      if (!diff) {
        // Contour lines one unit apart (1 kT or 1 kJ/mol), but never more than 12 of them.
        const size = Math.max(1, Math.ceil(m.maxF / 12));
        data.push({
          type: 'contour', x: p.x, y: p.y, z: p.F, xaxis: xa, yaxis: ya, showscale: false, hoverinfo: 'skip',
          contours: { coloring: 'none', start: size, end: m.maxF, size }, line: { color: 'rgba(255,255,255,0.6)', width: 1 },
        });
      }
      if (m.basins.length) {
        data.push({
          type: 'scatter', mode: 'markers+text', x: m.basins.map((b) => b.x), y: m.basins.map((b) => b.y), text: m.basins.map((b) => b.name),
          textposition: 'top right', textfont: { color: '#ffffff' }, marker: { size: 9, color: 'rgba(0,0,0,0)', line: { color: '#ffffff', width: 2 } },
          xaxis: xa, yaxis: ya, hoverinfo: 'text',
        });
      }
    }
  });
  return { data, layout };
}
