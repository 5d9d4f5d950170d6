/**
 * Results as notebook outputs. Pure functions build MIME bundles (`fes`, `curves`, `molecule`,
 * `trajectory`: an interactive model for the cglab JupyterLab extension plus SVG and text
 * fallbacks); `show` sends one through the tslab kernel, `showLive` returns a handle that
 * replaces it in place, and `liveCurves` keeps a curves output updating while a model trains.
 */
export * from './mime.js';
export { fes, fesModel, fesSvg, fesText, findBasins, type BasinMark, type FesOptions } from './fes.js';
export { curves, curvesModel, curvesSvg, curvesText, curveStyles, type CurvesOptions, type Series } from './curves.js';
export {
  molecule, moleculeModel, moleculeSvg, moleculeText, trajectory, trajectoryModel, encodeFloat32, decodeFloat32, elementColor,
  DEFAULT_BEAD_RADIUS, type MoleculeOptions, type StructureInput, type StructureSource, type TrajectoryOptions,
} from './molecule.js';
export { show, showLive, displayChannel, resolveSink, type DisplayChannel, type DisplayHandle, type DisplaySink, type ModuleCache } from './tslab.js';
export { liveCurves, type LiveCurves, type LiveCurvesOptions } from './live.js';
