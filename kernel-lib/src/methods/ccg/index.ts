/**
 * CCG: cycle / invertible coarse-graining (Zhang, Lin, E & Gao), exported as `cglab.ccg`:
 * back-mapping by a conditional generative density trained against the fine potential, and
 * free energies and mean forces from local sampling at fixed CG coordinates.
 */
export * from './representation.js';
export * from './train.js';
export * from './freeEnergy.js';
