/**
 * Coarse-graining core, exported as `cglab.cg`: linear maps and force maps, geometry features
 * with gradients, priors fitted by Boltzmann inversion, and the pair potentials of CG liquids
 * (bead groups, spline bases, tables); hard atom-to-bead assignments of learned maps.
 */
export * from './linearMap.js';
export * from './forceMap.js';
export * from './assignment.js';
export * from './features.js';
export * from './priors.js';
export * from './beadGroups.js';
export * from './pairBasis.js';
export * from './pairBasisSet.js';
export * from './pairTable.js';
