/**
 * The folder `cglab train autograin` writes:
 * - `map.json` — the learnt assignment as a cglab map file (one-hot groups, the format
 *   `cglab train forcematching --map` reads; methods/forcematching/mapping.ts), over the data
 *   set's whole topology (every molecule, for a liquid learnt per molecule);
 * - `beads.json` — for a liquid learnt per molecule: the molecule's beads in the `--beads` format
 *   of `cglab fit pairs`, beads in the order of their first atoms, those of the same atom
 *   composition sharing a type name;
 * - `autograin.json` — the auto-encoder (a cglab parameter file: `logits` [units, beads] (config
 *   `atomUnits`: the unit of each atom),
 *   `decoder` [atoms, beads] acting on centred bead positions, nm, `logStd` [atoms, 1] ln nm for
 *   the variational decoder);
 * - `training.json` — format `cglab-autograin-training`: settings, the record per epoch
 *   (losses, τ, ρ, reconstruction error in nm² and Å², force term in (kJ/mol/nm)²), the final
 *   reconstruction error, the mapped-force variance and the chemistry check of the groups.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkAssignment, type AssignmentCheck } from '../../cg/assignment.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { encodeParams, type JsonObject } from '../../nn/params.js';
import type { Topology } from '../../topology/topology.js';
import { groupsMapSpec, type MapSpec } from '../forcematching/mapping.js';
import type { BeadSpec as PairBeadSpec } from '../pairs/data.js';
import type { AutograinSamples } from './data.js';
import type { AutograinResult } from './train.js';

/** Format tags of the files. */
export const AUTOGRAIN_FORMAT = 'cglab-autograin';
export const AUTOGRAIN_TRAINING_FORMAT = 'cglab-autograin-training';

/** What {@link saveAutograin} wrote, for reports. */
export interface AutograinFolder {
  map: MapSpec;
  /** Per molecule only. */
  beads?: PairBeadSpec;
  check: AssignmentCheck;
  /** One line per bead: its atoms as residue:name. */
  groupNames: string[];
}

/** The molecule's bead groups repeated over `copies` consecutive molecules of `nA` atoms. */
function expandGroups(groups: number[][], copies: number, nA: number): number[][] {
  return Array.from({ length: copies }, (_, m) => groups.map((g) => g.map((i) => m * nA + i))).flat();
}

/** Type names per bead: beads whose atoms have the same sorted masses share one (T0, T1, …). */
function compositionTypes(groups: number[][], top: Topology): string[] {
  const types = new Map<string, string>();
  return groups.map((g) => {
    const key = g.map((i) => top.atoms[i].mass.toFixed(3)).sort().join(',');
    if (!types.has(key)) types.set(key, `T${types.size}`);
    return types.get(key) as string;
  });
}

/**
 * The learnt map as a cglab map spec over `top`: the sample topology (one molecule, or the whole
 * system), or the whole system of `copies` consecutive copies of a molecule of `fit`'s atoms.
 */
export function groupsMapSpecOf(fit: AutograinResult, top: Topology, copies = 1): MapSpec {
  const nA = fit.assignment.length;
  const groups = expandGroups(fit.groups, copies, nA);
  return groupsMapSpec(top, groups, fit.record.settings.weighting, copies > 1 ? groups.map((_, k) => `B${k % fit.groups.length}`) : undefined);
}

/**
 * A per-molecule map as the `--beads` spec of `cglab fit pairs` (methods/pairs/data.ts): the
 * molecule's beads in the order of their first atoms, beads of the same atom composition sharing
 * a type name.
 * @param molecule topology of one molecule (the samples' topology).
 */
export function pairBeadSpecOf(fit: AutograinResult, molecule: Topology): PairBeadSpec {
  const order = fit.groups.map((g, k) => [Math.min(...g), k]).sort((a, b) => a[0] - b[0]).map(([, k]) => fit.groups[k]);
  const types = compositionTypes(order, molecule);
  return { [molecule.atoms[0].residue]: order.map((g, k) => ({ name: types[k], atoms: g.map((i) => molecule.atoms[i].name) })) };
}

/**
 * Write the folder for a fit of `samples` drawn from a data set with topology `full`.
 * @param extra numbers to add to training.json (e.g. the mapped-force variance).
 */
export function saveAutograin(dir: string, full: Topology, samples: AutograinSamples, fit: AutograinResult, extra: JsonObject = {}): AutograinFolder {
  mkdirSync(dir, { recursive: true });
  const top = samples.topology;
  const s = fit.record.settings;
  const map = groupsMapSpecOf(fit, full, samples.perMolecule ? samples.molecules : 1);
  writeFileAtomic(join(dir, 'map.json'), `${JSON.stringify(map, null, 1)}\n`);
  const beads = samples.perMolecule ? pairBeadSpecOf(fit, top) : undefined;
  if (beads) writeFileAtomic(join(dir, 'beads.json'), `${JSON.stringify(beads, null, 1)}\n`);
  const config: JsonObject = {
    kind: AUTOGRAIN_FORMAT,
    beads: s.beads,
    weighting: s.weighting,
    decoder: s.decoder,
    perMolecule: samples.perMolecule,
    atoms: top.atoms.map((a) => `${a.residue}:${a.name}`),
    assignment: Array.from(fit.assignment),
    atomUnits: Array.from(fit.model.units),
    units: { positions: 'nm', decoder: 'dimensionless (atoms from centred bead positions)', logStd: 'ln nm' },
  };
  const tensors = new Map(Object.entries(fit.model.parameters()).map(([k, v]) => [k, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) }]));
  writeFileAtomic(join(dir, 'autograin.json'), encodeParams(config, tensors));
  const check = checkAssignment(fit.groups, top.bonds, top.atoms.map((a) => a.element));
  const groupNames = fit.groups.map((g) => g.map((i) => `${top.atoms[i].residue}:${top.atoms[i].name}`).join(' '));
  const training = {
    format: AUTOGRAIN_TRAINING_FORMAT,
    version: 1,
    units: { reconstruction: 'nm² per atom (mean squared displacement of the decoded atoms)', reconstructionA2: 'Å²', force: '(kJ/mol/nm)² per bead component', rho: 'nm² per (kJ/mol/nm)²' },
    settings: { ...s, patience: Number.isFinite(s.patience) ? s.patience : null },
    samples: { frames: samples.frames, molecules: samples.molecules, train: fit.record.trainSamples, validation: fit.record.validationSamples },
    epochs: fit.record.epochs,
    bestEpoch: fit.record.bestEpoch,
    stoppedBy: fit.record.stoppedBy,
    reconstruction: { ...fit.reconstruction, trainA2: 100 * fit.reconstruction.train, validationA2: 100 * fit.reconstruction.validation },
    ...(fit.force === undefined ? {} : { force: fit.force }),
    groups: groupNames,
    check,
    ...extra,
  };
  writeFileAtomic(join(dir, 'training.json'), `${JSON.stringify(training, null, 1)}\n`);
  return { map, beads, check, groupNames };
}
