/**
 * Embedded-physics CG (Schöberl, Zabaras & Koutsourelakis 2020), exported as `cglab.embedded`:
 * a latent generative model trained from a force field alone (no data) by the reverse-KL bound
 * with tempering; its latent variables are collective variables.
 */
export * from './model.js';
export * from './target.js';
export * from './train.js';
export * from './modelDir.js';
export * from './ensemble.js';
