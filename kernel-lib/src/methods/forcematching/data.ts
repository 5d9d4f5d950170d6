/**
 * From an all-atom data set to a CG data set for force matching: bead positions R = M x and
 * mapped forces f_CG = G f, with the CG topology (bead names, masses, bonds).
 *
 * The force map G. Force matching needs G consistent with M (G Mᵀ = I) and blind to the
 * constraint forces the data do not contain (cg/forceMap.ts explains both). Data generated with
 * H-bond constraints (`provenance.constraints > 0`, as `cglab generate` writes) default to the
 * optimal, constraint-aware map fitted on the data's own forces, which also has the least
 * mapped-force noise; data without constraints default to the summing map (for the built-in
 * selection maps: each bead's atom's force). Both can be chosen explicitly.
 */
import { basicForceMap, hydrogenBondPairs, optimalForceMap, projectForces, type ForceCovariance } from '../../cg/forceMap.js';
import type { LinearMap } from '../../cg/linearMap.js';
import { makeTrajectory, type Trajectory } from '../../io/trajectory.js';
import { isIdentity, matchAtoms } from '../../topology/match.js';
import type { Topology } from '../../topology/topology.js';
import { resolveMap, type MapSpec } from './mapping.js';

/** Which force map to use: optimal (least noise, constraint-aware), basic (summing), or auto. */
export type ForceMapChoice = 'auto' | 'optimal' | 'basic';

/** Options of {@link mapDataset}. */
export interface MapDatasetOptions {
  /** Default 'auto': 'optimal' when the data were generated with constraints, else 'basic'. */
  forceMap?: ForceMapChoice;
  /**
   * Whether the all-atom data were generated with bonds to hydrogen constrained. Default: from
   * `provenance.constraints` (a count > 0 means yes), else no.
   */
  hBondConstraints?: boolean;
  /** Temperature of the data, K; default `provenance.temperature_K`. */
  temperature?: number;
  /** Use at most this many frames, evenly strided over the data (default: all). */
  maxFrames?: number;
  /** Names the data in messages. */
  source?: string;
  /** Names the map in messages (e.g. its file). */
  mapName?: string;
  /**
   * The optimal force map's statistics gathered elsewhere (from every frame of a streamed set,
   * of which `traj` is a part): the map is fitted to them instead of `traj`'s forces.
   */
  forceCovariance?: ForceCovariance;
}

/** A CG data set ready for force matching, and how it was made. */
export interface CGData {
  /** CG frames: positions [frames, beads, 3] nm, forces G f [frames, beads, 3] kJ/mol/nm, CG topology. */
  trajectory: Trajectory & { topology: Topology; forces: Float32Array };
  /** Temperature of the data, K. */
  temperature: number;
  /** M [beads × atoms]. */
  map: LinearMap;
  /** G [beads × atoms], consistent with M. */
  forceMap: LinearMap;
  forceMapKind: 'optimal' | 'basic';
  /** Number of H-bond constraint pairs G was made blind to (0 when none). */
  constrainedPairs: number;
  /** The map as specified, and the all-atom topology it was resolved against. */
  spec: MapSpec;
  atomistic: Topology;
}

/** Frame indices 0..n−1, evenly strided down to at most `max`. */
export function strided(n: number, max: number | undefined): number[] {
  if (max === undefined || max >= n) return [...Array(n).keys()];
  if (!Number.isInteger(max) || max < 1) throw new Error(`maxFrames is ${max}, expected a positive integer`);
  return Array.from({ length: max }, (_, k) => Math.floor((k * n) / max));
}

/** Rows `frames` of a [frames, per] array (the array itself when that is all of them). */
export function pickFrames(data: Float32Array, frames: number[], per: number): Float32Array {
  if (frames.length * per === data.length) return data;
  const out = new Float32Array(frames.length * per);
  frames.forEach((f, k) => out.set(data.subarray(f * per, (f + 1) * per), k * per));
  return out;
}

/** The data's temperature (K): the option, else the provenance's `temperature_K`. */
export function temperatureOf(traj: Trajectory, given: number | undefined, src: string): number {
  const t = given ?? traj.provenance?.temperature_K;
  if (typeof t !== 'number' || !(t > 0)) {
    throw new Error(`${src}: the temperature of the data is unknown (no provenance.temperature_K): give it (--temperature K); priors and simulations need it`);
  }
  return t;
}

/**
 * Which force map {@link mapDataset} fits for data of `topology` and `provenance`, and the
 * H-bond constraint pairs it is made blind to.
 */
export function forceMapPlan(topology: Topology, provenance: Record<string, unknown> | undefined, opts: Pick<MapDatasetOptions, 'forceMap' | 'hBondConstraints'>): { kind: 'optimal' | 'basic'; constraints: [number, number][] } {
  const constrained = opts.hBondConstraints ?? Number(provenance?.constraints ?? 0) > 0;
  const constraints = constrained ? hydrogenBondPairs(topology) : [];
  const kind = opts.forceMap === undefined || opts.forceMap === 'auto' ? (constrained ? 'optimal' : 'basic') : opts.forceMap;
  if (kind !== 'optimal' && kind !== 'basic') throw new Error(`unknown force map '${kind as string}': expected optimal, basic or auto`);
  return { kind, constraints };
}

/**
 * Map an all-atom data set with forces to a CG data set.
 * @param traj all-atom frames with topology and forces (internal units).
 * @param spec the map, e.g. `BUILTIN_MAPS.backbone5` or `readMapFile(path)`.
 * @throws Error when the data have no topology or no forces, the map does not fit the topology
 *   (a missing residue or atom, atoms left out of a `requireAll` map), or the temperature is unknown.
 */
export function mapDataset(traj: Trajectory, spec: MapSpec, opts: MapDatasetOptions = {}): CGData {
  const src = opts.source ?? 'data set';
  if (!traj.topology) throw new Error(`${src}: has no topology, which the map needs to find its atoms: give the PDB of the same atoms (--top file.pdb)`);
  if (!traj.forces) {
    throw new Error(`${src}: has no forces, but force matching fits the CG forces to mapped atomistic forces: use data saved with forces (cglab generate writes them; a numpy NPZ needs a 'forces' array [frames, atoms, 3])`);
  }
  const temperature = temperatureOf(traj, opts.temperature, src);
  const resolved = resolveMap(spec, traj.topology, `${src}: map ${opts.mapName ?? ''}`.trimEnd());
  const frames = strided(traj.nFrames, opts.maxFrames);
  const per = traj.nAtoms * 3;
  const x = pickFrames(traj.positions, frames, per);
  const f = pickFrames(traj.forces, frames, per);
  const { kind, constraints } = forceMapPlan(traj.topology, traj.provenance, opts);
  const forceMap = kind === 'optimal' ? optimalForceMap(resolved.map, opts.forceCovariance ?? f, { constraints }) : basicForceMap(resolved.map, { constraints });
  const trajectory = makeTrajectory({
    topology: resolved.topology,
    nFrames: frames.length,
    nAtoms: resolved.map.nBeads,
    positions: resolved.map.apply(x),
    forces: projectForces(forceMap, f),
    provenance: {
      ...traj.provenance,
      temperature_K: temperature,
      cg_map: resolved.spec as unknown,
      cg_force_map: kind,
      cg_constrained_pairs: constraints.length,
      cg_source_frames: traj.nFrames,
    },
  }, src);
  return { trajectory: trajectory as CGData['trajectory'], temperature, map: resolved.map, forceMap, forceMapKind: kind, constrainedPairs: constraints.length, spec: resolved.spec, atomistic: traj.topology };
}

/**
 * Bring frames of a new all-atom file into the atom order of `atomistic` (the topology a map was
 * resolved against), matching atoms by residue and name (topology/match.ts).
 * @returns positions [frames, atoms, 3] nm in `atomistic`'s order.
 * @throws Error when the file has no topology, or its atoms do not match (count, residues or names).
 */
export function alignedPositions(traj: Trajectory, atomistic: Topology, src: string): Float32Array {
  if (!traj.topology) throw new Error(`${src}: has no topology to match against the model's atoms: give the PDB of the same atoms (--top file.pdb)`);
  const order = matchAtoms(traj.topology, atomistic, `${src} (the model was trained on ${describe(atomistic)})`);
  if (isIdentity(order)) return traj.positions;
  const out = new Float32Array(traj.positions.length);
  const n = traj.nAtoms;
  for (let t = 0; t < traj.nFrames; t++) {
    for (let i = 0; i < n; i++) for (let d = 0; d < 3; d++) out[(t * n + order[i]) * 3 + d] = traj.positions[(t * n + i) * 3 + d];
  }
  return out;
}

/** 'ACE-ALA-NME, 22 atoms'. */
export function describe(top: Topology): string {
  const names: string[] = [];
  let last = '';
  for (const a of top.atoms) {
    const key = `${a.chain ?? ''}|${a.resid}|${a.residue}`;
    if (key !== last) names.push(a.residue);
    last = key;
  }
  return `${names.join('-')}, ${top.atoms.length} atoms`;
}
