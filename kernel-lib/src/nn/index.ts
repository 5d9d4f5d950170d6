/**
 * Neural-network parts, exported as `cglab.nn`: dense layers and MLPs, RBF expansions,
 * SchNet, the parameter file format, and energy models (CGnet, CGSchNet) with forces by autodiff.
 */
export * from './mlp.js';
export * from './rbf.js';
export * from './schnet.js';
export * from './params.js';
export * from './energyModel.js';
