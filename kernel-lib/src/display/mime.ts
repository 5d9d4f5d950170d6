/**
 * The MIME bundles cglab sends to notebooks, and the JSON models inside them. This file is the
 * contract with the JupyterLab extension (cglab-jupyterlab), which imports these types: change a
 * model only together with its renderer, and bump `version` when an old renderer would misread it.
 *
 * Every bundle carries one custom type (`application/vnd.cglab.<kind>+json`) that the extension
 * draws interactively, plus `image/svg+xml` and `text/plain` fallbacks drawn here in Node, so a
 * notebook reads without the extension (GitHub, a JupyterLab without it, nbconvert).
 */

/** Custom MIME type of each kind of result. */
export const MIME = {
  fes: 'application/vnd.cglab.fes+json',
  curves: 'application/vnd.cglab.curves+json',
  molecule: 'application/vnd.cglab.molecule+json',
  trajectory: 'application/vnd.cglab.trajectory+json',
} as const;

/** One of the custom MIME types. */
export type CglabMime = (typeof MIME)[keyof typeof MIME];

/** Version of the models below; renderers refuse models from a newer version. */
export const MODEL_VERSION = 1;

/** What a Jupyter display message carries: data by MIME type, and metadata by MIME type. */
export interface MimeBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** Energy unit of a drawn surface. */
export type EnergyUnit = 'kT' | 'kJ/mol';

/** A 1-D profile in the model: free energies already in the model's unit, null where unsampled. */
export interface FesProfileModel {
  dim: 1;
  label: string;
  /** [bins] bin centres. */
  x: number[];
  /** [bins] free energy in the model's unit; null where no sample fell. */
  F: (number | null)[];
}

/** A 2-D surface in the model, laid out as plotting libraries want it: rows are y. */
export interface FesSurfaceModel {
  dim: 2;
  label: string;
  /** [binsX] bin centres along x. */
  x: number[];
  /** [binsY] bin centres along y. */
  y: number[];
  /** [binsY][binsX] free energy in the model's unit; null where no sample fell. */
  F: (number | null)[][];
}

/** A marked minimum or named region on a surface. */
export interface BasinModel {
  name: string;
  x: number;
  /** Position along y; absent on 1-D profiles. */
  y?: number;
  /** Free energy at the basin in the model's unit, when known. */
  F?: number;
}

/**
 * `application/vnd.cglab.fes+json`: one or more panels drawn side by side. A comparison with a
 * reference is either two panels ('side-by-side') or one panel holding the difference.
 */
export interface FesModel {
  version: typeof MODEL_VERSION;
  title: string;
  unit: EnergyUnit;
  /** Temperature of the surfaces, K. */
  temperature: number;
  xLabel: string;
  yLabel?: string;
  /** 'difference' panels hold F − F_ref and are drawn with a diverging colour scale. */
  mode: 'single' | 'side-by-side' | 'difference';
  panels: (FesProfileModel | FesSurfaceModel)[];
  /** Basins, drawn on every panel. */
  basins: BasinModel[];
  /** Upper end of the colour scale / y axis in the model's unit, so panels compare at a glance. */
  maxF: number;
}

/** One curve: a metric of a run against steps (or epochs, or time). */
export interface SeriesModel {
  /** Metric name, e.g. "loss" or "val loss". */
  name: string;
  /** Run the curve belongs to; curves of one run share a colour. */
  run: string;
  x: number[];
  /** null where the value was not finite (NaN loss), so the gap shows. */
  y: (number | null)[];
}

/** `application/vnd.cglab.curves+json`: loss and metric curves, several runs overlaid. */
export interface CurvesModel {
  version: typeof MODEL_VERSION;
  title: string;
  xLabel: string;
  yLabel: string;
  logX: boolean;
  logY: boolean;
  series: SeriesModel[];
}

/** How a structure is drawn. */
export type StructureStyle = 'ball+stick' | 'licorice' | 'spacefill' | 'beads' | 'line';

/**
 * One structure in a molecule view: an all-atom system, a CG system (beads), or a back-mapped
 * structure. Several layers overlay, e.g. CG beads over the atoms they map.
 */
export interface StructureLayerModel {
  label: string;
  /** Atom or bead names. */
  names: string[];
  /** Element symbols; "" for a CG bead. */
  elements: string[];
  residues: string[];
  resids: number[];
  /** Pairs of indices into this layer's atoms. */
  bonds: [number, number][];
  /** Base64 of little-endian float32 positions [nFrames, nAtoms, 3], nm. */
  positions: string;
  nAtoms: number;
  nFrames: number;
  style: StructureStyle;
  /** '#rrggbb' per atom, or absent to colour by element. */
  colors?: string[];
  /** Radius per atom, nm, or absent for the viewer's element radii. */
  radii?: number[];
  /** 0..1. */
  opacity: number;
}

/** `application/vnd.cglab.molecule+json`: one frame of one or more layers. */
export interface MoleculeModel {
  version: typeof MODEL_VERSION;
  title: string;
  layers: StructureLayerModel[];
}

/** `application/vnd.cglab.trajectory+json`: layers with the same number of frames, played together. */
export interface TrajectoryModel extends MoleculeModel {
  nFrames: number;
  /** [nFrames] time of each frame, ps, when known. */
  time?: number[];
  /** Frames shown per second during playback. */
  fps: number;
}
