/**
 * Coarse-graining core, exported as `cglab.cg`: linear maps and force maps, geometry features
 * with gradients, and priors fitted by Boltzmann inversion.
 */
export * from './linearMap.js';
export * from './forceMap.js';
export * from './features.js';
export * from './priors.js';
