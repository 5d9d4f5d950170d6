/**
 * Renderer of molecules and trajectories with NGL (WebGL). Each layer is loaded as PDB text and
 * drawn in its own style; trajectories replace coordinates frame by frame, never reloading the
 * structure. Browsers cap live WebGL contexts (about 16), so a notebook with many views loses
 * the oldest: the view then shows the static SVG of the bundle and redraws when the context is
 * restored.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import type { MoleculeModel, StructureLayerModel, TrajectoryModel } from 'cglab/display/mime';
import type * as NGLTypes from 'ngl';
import { checkModel } from './figure.js';
import { colorInt, decodeFloat32, frameAngstrom, layerPdb, layerRepresentations } from './structure.js';

type NGLModule = typeof NGLTypes;
let ngl: Promise<NGLModule> | undefined;
// The self-contained build: the package's ES build would pull three.js and molstar in separately.
const loadNgl = () => (ngl ??= import('ngl/dist/ngl.js'));

interface Loaded {
  layer: StructureLayerModel;
  positions: Float32Array;
  component: NGLTypes.StructureComponent;
}

/** An NGL view of an `application/vnd.cglab.molecule+json` or `…trajectory+json` model. */
export class NglRenderer extends Widget implements IRenderMime.IRenderer {
  private readonly viewport = document.createElement('div');
  private readonly fallback = document.createElement('div');
  private readonly controls = document.createElement('div');
  private readonly play = document.createElement('button');
  private readonly slider = document.createElement('input');
  private readonly label = document.createElement('span');
  private stage: NGLTypes.Stage | undefined;
  private lib: NGLModule | undefined;
  private loaded: Loaded[] = [];
  private schemes: string[] = [];
  private model: MoleculeModel | TrajectoryModel | undefined;
  private svg = '';
  private timer: number | undefined;
  private drawing: Promise<void> | undefined;
  private frame = 0;
  private lost = false;

  constructor(private readonly options: IRenderMime.IRendererOptions, kind: 'molecule' | 'trajectory') {
    super();
    this.addClass('cglab-output');
    this.addClass('cglab-ngl');
    this.node.dataset.cglabKind = kind;
    this.viewport.className = 'cglab-ngl-viewport';
    this.fallback.className = 'cglab-fallback';
    this.fallback.hidden = true;
    this.controls.className = 'cglab-ngl-controls';
    this.controls.hidden = true;
    this.play.textContent = '▶';
    this.play.title = 'Play / pause';
    this.play.onclick = () => (this.timer === undefined ? this.startPlayback() : this.stopPlayback());
    this.slider.type = 'range';
    this.slider.min = '0';
    this.slider.oninput = () => {
      this.stopPlayback();
      this.setFrame(Number(this.slider.value));
    };
    this.controls.append(this.play, this.slider, this.label);
    this.node.append(this.viewport, this.fallback, this.controls);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const m = checkModel(model.data[this.options.mimeType], this.options.mimeType) as MoleculeModel | TrajectoryModel;
    this.model = m;
    this.svg = String(model.data['image/svg+xml'] ?? '');
    this.node.dataset.title = m.title;
    if (this.lost) return this.showFallback('The 3-D view lost its WebGL context; showing the static image until it is restored.');
    this.drawing ??= this.drawLatest();
    await this.drawing;
  }

  // Loading a structure takes several awaits: an update that arrives meanwhile is drawn after
  // it, once, instead of interleaving two loads in one stage.
  private async drawLatest(): Promise<void> {
    try {
      let m: MoleculeModel | TrajectoryModel | undefined;
      while (!this.lost && this.model && this.model !== m) {
        m = this.model;
        await this.draw(m);
        if (!this.lost) this.node.dataset.state = 'drawn';
      }
    } catch (e) {
      this.showFallback(`The 3-D view could not be drawn (${e instanceof Error ? e.message : String(e)}); showing the static image.`);
    } finally {
      this.drawing = undefined;
    }
  }

  private async draw(m: MoleculeModel | TrajectoryModel): Promise<void> {
    this.lib ??= await loadNgl();
    const NGL = this.lib;
    const first = !this.stage;
    if (!this.stage) {
      this.stage = new NGL.Stage(this.viewport, { backgroundColor: 'white' });
      const canvas = this.stage.viewer.renderer.domElement;
      canvas.addEventListener('webglcontextlost', this.onContextLost);
      canvas.addEventListener('webglcontextrestored', this.onContextRestored);
    }
    this.stopPlayback();
    this.stage.removeAllComponents();
    this.dropSchemes();
    this.loaded = [];
    for (const layer of m.layers) {
      const positions = decodeFloat32(layer.positions);
      const blob = new Blob([layerPdb(layer, positions, 0)], { type: 'text/plain' });
      const component = (await this.stage.loadFile(blob, { ext: 'pdb', name: layer.label, defaultRepresentation: false })) as NGLTypes.StructureComponent;
      let colorScheme = 'element';
      if (layer.colors) {
        const colors = layer.colors.map(colorInt);
        colorScheme = NGL.ColormakerRegistry.addScheme(function (this: NGLTypes.Colormaker) {
          this.atomColor = (a) => colors[a.index];
        });
        this.schemes.push(colorScheme);
      }
      for (const rep of layerRepresentations(layer)) component.addRepresentation(rep.type, { ...rep.params, colorScheme });
      this.loaded.push({ layer, positions, component });
    }
    // The output may have been attached while NGL loaded: measure the viewport before framing.
    this.stage.handleResize();
    if (first) this.stage.autoView();
    const frames = 'nFrames' in m ? m.nFrames : 1;
    this.controls.hidden = frames < 2;
    this.slider.max = String(Math.max(0, frames - 1));
    this.setFrame(Math.min(this.frame, frames - 1));
  }

  private setFrame(k: number): void {
    this.frame = k;
    for (const { layer, positions, component } of this.loaded) {
      if (layer.nFrames < 2) continue;
      component.structure.updatePosition(frameAngstrom(positions, layer.nAtoms, k));
      component.updateRepresentations({ position: true });
    }
    const m = this.model as TrajectoryModel | undefined;
    const time = m?.time ? ` · ${m.time[k].toFixed(2)} ps` : '';
    this.slider.value = String(k);
    this.label.textContent = `frame ${k + 1} / ${m?.nFrames ?? 1}${time}`;
    this.node.dataset.frame = String(k);
  }

  private startPlayback(): void {
    const m = this.model as TrajectoryModel | undefined;
    if (!m || !('nFrames' in m) || m.nFrames < 2 || this.lost) return;
    this.play.textContent = '⏸';
    this.timer = window.setInterval(() => this.setFrame((this.frame + 1) % m.nFrames), 1000 / Math.max(1, m.fps));
  }

  private stopPlayback(): void {
    if (this.timer !== undefined) window.clearInterval(this.timer);
    this.timer = undefined;
    this.play.textContent = '▶';
  }

  private showFallback(message: string): void {
    this.stopPlayback();
    this.fallback.replaceChildren();
    const note = document.createElement('div');
    note.className = 'cglab-fallback-note';
    note.textContent = message;
    this.fallback.append(note);
    if (this.svg) {
      const img = document.createElement('img');
      img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(this.svg)}`;
      img.alt = this.model?.title ?? 'structure';
      this.fallback.append(img);
    }
    this.fallback.hidden = false;
    this.viewport.hidden = true;
    this.controls.hidden = true;
    this.node.dataset.state = 'fallback';
  }

  private readonly onContextLost = (e: Event) => {
    // Without preventDefault the browser never offers to restore the context.
    e.preventDefault();
    this.lost = true;
    this.showFallback('The 3-D view lost its WebGL context (too many views open?); showing the static image until it is restored.');
  };

  private readonly onContextRestored = () => {
    this.lost = false;
    // NGL cannot re-upload its buffers into a new context: start from a fresh stage.
    this.disposeStage();
    this.fallback.hidden = true;
    this.viewport.hidden = false;
    this.drawing ??= this.drawLatest();
  };

  private dropSchemes(): void {
    for (const id of this.schemes) this.lib?.ColormakerRegistry.removeScheme(id);
    this.schemes = [];
  }

  private disposeStage(): void {
    this.stopPlayback();
    this.dropSchemes();
    if (!this.stage) return;
    const canvas = this.stage.viewer.renderer.domElement;
    canvas.removeEventListener('webglcontextlost', this.onContextLost);
    canvas.removeEventListener('webglcontextrestored', this.onContextRestored);
    this.stage.dispose();
    this.stage = undefined;
    this.loaded = [];
    // NGL leaves its canvas behind; the next stage brings its own.
    this.viewport.replaceChildren();
  }

  protected override onResize(): void {
    if (this.isVisible) this.stage?.handleResize();
  }

  protected override onAfterShow(): void {
    this.onResize();
  }

  protected override onAfterAttach(): void {
    // Drawn while detached, the stage measured a zero-size viewport: measure and frame again.
    if (this.stage && this.loaded.length > 0) {
      this.stage.handleResize();
      this.stage.autoView();
    }
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.disposeStage();
    super.dispose();
  }
}
