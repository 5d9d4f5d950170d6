/**
 * Autograin: CG auto-encoders that learn the mapping (Wang & Gómez-Bombarelli 2019), exported
 * as `cglab.autograin`: a Gumbel-softmax assignment of atoms to beads and a decoder back to
 * atoms, with a force regulariser; the learnt map then feeds force matching.
 */
export * from './autoencoder.js';
export * from './data.js';
export * from './train.js';
export * from './modelDir.js';
