/**
 * Neural-network parts, exported as `cglab.nn`: dense layers and MLPs, RBF expansions,
 * SchNet, the parameter file format, energy models (CGnet, CGSchNet) with forces by autodiff, the Adam optimiser and the epoch loop every trained method shares, critics with f-divergence bounds for adversarial fits, conditional densities (diagonal Gaussian MLPs), Gumbel-softmax relaxations, and normalising flows (affine and rational-quadratic spline couplings, permutations, conditional flows).
 */
export * from './mlp.js';
export * from './rbf.js';
export * from './schnet.js';
export * from './params.js';
export * from './energyModel.js';
export * from './adam.js';
export * from './epochLoop.js';
export * from './fDivergence.js';
export * from './critic.js';
export * from './conditionalDensity.js';
export * from './gaussianMlp.js';
export * from './gumbelSoftmax.js';
export * from './flows.js';
