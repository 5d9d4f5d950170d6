/**
 * Neural-network parts, exported as `cglab.nn`: dense layers and MLPs, RBF expansions,
 * SchNet, the parameter file format, energy models (CGnet, CGSchNet) with forces by autodiff, and the Adam optimiser every trained method shares.
 */
export * from './mlp.js';
export * from './rbf.js';
export * from './schnet.js';
export * from './params.js';
export * from './energyModel.js';
export * from './adam.js';
