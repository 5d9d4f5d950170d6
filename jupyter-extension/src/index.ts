/**
 * cglab-jupyterlab: MIME renderers for the bundles cglab's display API sends. Each ranks ahead
 * of the SVG fallback that the same bundle carries, so the interactive view wins wherever this
 * extension is installed and the SVG shows everywhere else.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { MIME, type CurvesModel, type FesModel } from 'cglab/display/mime';
import { curvesFigure } from './curvesFigure.js';
import { fesFigure } from './fesFigure.js';
import { NglRenderer } from './nglRenderer.js';
import { PlotRenderer } from './plotRenderer.js';

// JupyterLab's SVG renderer ranks 80 and HTML 50: below both.
const RANK = 40;

function extension(kind: string, mime: string, create: (o: IRenderMime.IRendererOptions) => IRenderMime.IRenderer): IRenderMime.IExtension {
  return {
    id: `cglab-jupyterlab:${kind}`,
    rendererFactory: { safe: true, mimeTypes: [mime], defaultRank: RANK, createRenderer: create },
    rank: RANK,
  };
}

const extensions: IRenderMime.IExtension[] = [
  extension('fes', MIME.fes, (o) => new PlotRenderer<FesModel>(o, 'fes', fesFigure)),
  extension('curves', MIME.curves, (o) => new PlotRenderer<CurvesModel>(o, 'curves', curvesFigure)),
  extension('molecule', MIME.molecule, (o) => new NglRenderer(o, 'molecule')),
  extension('trajectory', MIME.trajectory, (o) => new NglRenderer(o, 'trajectory')),
];

export default extensions;
