/**
 * cglab: machine-learned molecular coarse-graining. Internal units: nm, ps, kJ/mol, K, amu.
 */
export * as units from './units.js';
export { BOLTZMANN, kT } from './units.js';
export { initBackend, useBackend, type BackendName, type BackendReport } from './backend/select.js';
export { doctor, formatDoctor, type DoctorReport } from './backend/doctor.js';
export * from './topology/topology.js';
export * from './physics/potential.js';
export * from './physics/toy.js';
export * from './md/random.js';
export * from './md/integrators.js';
export * from './md/simulate.js';
export * from './analysis/fes.js';
export { progressBar, type ProgressBar } from './util/progress.js';
export * from './io/npy.js';
export * from './io/npz.js';
export * from './io/dataset.js';
export * from './io/box.js';
export * from './io/pdb.js';
export * from './io/xyz.js';
export * from './io/dcd.js';
export * as ops from './backend/ops.js';
export * from './analysis/geometry.js';
export * from './md/constraints.js';
export * from './md/minimize.js';
export * from './physics/lj.js';
export * from './physics/evaluate.js';
export * from './topology/zmatrix.js';
export * from './topology/match.js';
export * from './datasets/alanineDipeptide.js';
export * from './datasets/systems.js';
export * from './datasets/generate.js';
export * from './physics/tensor.js';
export * from './physics/forcefield.js';
export * from './physics/bonded.js';
export * from './physics/nonbonded.js';
export * from './physics/obc.js';
export * from './analysis/divergence.js';
