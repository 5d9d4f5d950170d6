/**
 * Adversarial-residual coarse-graining (Durumeric & Voth 2019), exported as `cglab.arcg`: the
 * ARCG loop over any model linear in its parameters (with virtual sites), basis models sampled
 * by Langevin replicas, the liquid fit behind `cglab fit pairs --method arcg`, and the resume
 * file. The critics and f-divergences are in `cglab.nn`, reweighting in the top level.
 */
export * from './arcg.js';
export * from './basisModel.js';
export * from './pairs.js';
export * from './stateFile.js';
