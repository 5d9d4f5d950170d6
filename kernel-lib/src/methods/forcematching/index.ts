/**
 * Force matching (CGnet, CGSchNet; Husic et al., J. Chem. Phys. 153, 194101, 2020), exported as
 * `cglab.forcematching`: map a data set with forces to beads and mapped forces, fit priors,
 * train a network on the (delta) forces, keep the model with its map in a folder, and simulate
 * it with md/replicas.ts.
 */
export * from './mapping.js';
export * from './data.js';
export * from './coordinateNet.js';
export * from './train.js';
export * from './model.js';
export * from './modelDir.js';
export * from './refine.js';
