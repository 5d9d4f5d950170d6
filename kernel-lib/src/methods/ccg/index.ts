/**
 * CCG: cycle / invertible coarse-graining (Zhang, Lin, E & Gao), exported as `cglab.ccg`:
 * back-mapping by a conditional generative density trained against the fine potential, and
 * free energies and mean forces from local sampling at fixed CG coordinates; molecules through
 * a Z-matrix representation, and the cycle that corrects a CG model with the mean forces.
 */
export * from './representation.js';
export * from './train.js';
export * from './freeEnergy.js';
export * from './zMatrix.js';
export * from './molecule.js';
export * from './modelDir.js';
export * from './cycle.js';
