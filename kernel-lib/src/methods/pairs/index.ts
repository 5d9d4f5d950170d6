/**
 * Pair potentials of periodic CG liquids, exported as `cglab.pairs`: read and map a liquid's
 * frames, fit by force matching, iterative Boltzmann inversion or relative-entropy
 * minimisation, simulate, and keep the model in a folder that `cglab simulate` runs.
 */
export * from './data.js';
export * from './fm.js';
export * from './ibi.js';
export * from './rem.js';
export * from './iterate.js';
export * from './sample.js';
export * from './modelDir.js';
