/**
 * Renderer of the plotted kinds (FES, curves). plotly.js loads on first use, so notebooks that
 * never plot do not pay for it. A new model for the same output (a live curve's
 * update_display_data) is drawn with `Plotly.react` into the same element: the plot updates in
 * place, keeping zoom.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { checkModel, type Figure } from './figure.js';

type Plotly = typeof import('plotly.js-dist-min');
let plotly: Promise<Plotly> | undefined;
const loadPlotly = () => (plotly ??= import('plotly.js-dist-min'));

/** A plotly figure rendered from one custom MIME type. */
export class PlotRenderer<M> extends Widget implements IRenderMime.IRenderer {
  private readonly plot = document.createElement('div');
  private drawn = false;
  private lib: Plotly | undefined;
  private pending: Figure | undefined;
  private drawing: Promise<void> | undefined;

  constructor(
    private readonly options: IRenderMime.IRendererOptions,
    kind: string,
    private readonly figure: (model: M) => Figure,
  ) {
    super();
    this.addClass('cglab-output');
    this.addClass(`cglab-${kind}`);
    this.node.dataset.cglabKind = kind;
    this.plot.className = 'cglab-plot';
    this.node.appendChild(this.plot);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[this.options.mimeType];
    const m = checkModel(data, this.options.mimeType) as unknown as M & { title?: string };
    this.node.dataset.title = m.title ?? '';
    this.pending = this.figure(m);
    this.drawing ??= this.drawLatest();
    await this.drawing;
  }

  // Live updates can arrive faster than plotly draws (or while it still loads): draw one at a
  // time, always the newest figure, so an older one never lands over a newer one.
  private async drawLatest(): Promise<void> {
    try {
      this.lib ??= await loadPlotly();
      while (this.pending) {
        const fig = this.pending;
        this.pending = undefined;
        await this.lib.react(this.plot, fig.data, fig.layout, { responsive: false, displaylogo: false });
        this.drawn = true;
        // Counted so a test (or a curious user) can see one output redrawn in place.
        this.node.dataset.renders = String(Number(this.node.dataset.renders ?? 0) + 1);
      }
    } finally {
      this.drawing = undefined;
    }
  }

  protected override onResize(): void {
    if (this.drawn && this.lib && this.isVisible) void this.lib.Plots.resize(this.plot);
  }

  protected override onAfterShow(): void {
    this.onResize();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    if (this.drawn && this.lib) this.lib.purge(this.plot);
    super.dispose();
  }
}
