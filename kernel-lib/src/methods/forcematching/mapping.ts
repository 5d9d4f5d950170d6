/**
 * CG mappings by name: the built-in alanine-dipeptide maps and a documented JSON map format,
 * resolved against an all-atom topology into the configurational map M (cg/linearMap.ts) and
 * the CG topology (bead names, masses, bonds).
 *
 * Map file format (`cglab-map`, version 1), one entry per bead in bead order:
 * ```json
 * {
 *   "format": "cglab-map",
 *   "version": 1,
 *   "weighting": "mass",
 *   "requireAll": false,
 *   "beads": [
 *     { "name": "N",  "residue": "ALA", "atoms": ["N"] },
 *     { "name": "CA", "residue": "ALA", "resid": 2, "atoms": ["CA"] },
 *     { "name": "SC", "residue": "ALA", "atoms": ["CB", "HB1", "HB2", "HB3"], "weights": [12, 1, 1, 1] }
 *   ],
 *   "bonds": [[0, 1], [1, 2]]
 * }
 * ```
 * - `atoms`: atom names of the bead in residue `residue` (`resid` is needed only when the
 *   residue name occurs more than once); an atom of another residue, in a bead that spans
 *   residues, is written `{"name": "N", "residue": "ALA", "resid": 2}` (`resid` again only
 *   when needed). A single-atom bead sits on its atom.
 * - `weights` (optional): relative weights of the bead's atoms, normalised to sum 1; without
 *   them a bead sits at its atoms' centre of mass (`weighting: "mass"`, the default) or
 *   geometry (`"geometry"`).
 * - `requireAll` (optional, default false): every atom must belong to some bead, for maps
 *   meant to cover the whole molecule; the error lists the atoms left out.
 * - `bonds` (optional): CG bonds as bead index pairs; default a chain (0,1), (1,2), ... . Bonds
 *   decide which priors are fitted (bonds, angles between bonded pairs, repulsion between beads
 *   three or more bonds apart).
 * - `name` (optional): the bead's name in the CG topology; default its atom name when it has
 *   one atom, else 'B<k>'.
 */
import { readFileSync } from 'node:fs';
import { assertPositionMap, beadAtomIndices, LinearMap, residueAtomMap, type BeadSpec, type GroupWeighting } from '../../cg/linearMap.js';
import { makeTopology, type Topology } from '../../topology/topology.js';

/** The format tag of a map file. */
export const MAP_FORMAT = 'cglab-map';
/** The map file version this cglab writes and reads. */
export const MAP_VERSION = 1;

/** One bead of a map file; see the module comment. */
export interface MapBead extends BeadSpec {
  name?: string;
  weights?: readonly number[];
}

/** A CG map as written in a map file; see the module comment. */
export interface MapSpec {
  format?: typeof MAP_FORMAT;
  version?: number;
  weighting?: GroupWeighting;
  requireAll?: boolean;
  beads: readonly MapBead[];
  bonds?: ReadonlyArray<readonly [number, number]>;
}

const BACKBONE: MapBead[] = [
  { residue: 'ACE', atoms: ['C'] },
  { residue: 'ALA', atoms: ['N'] },
  { residue: 'ALA', atoms: ['CA'] },
  { residue: 'ALA', atoms: ['C'] },
  { residue: 'NME', atoms: ['N'] },
];

/**
 * The built-in maps of capped alanine dipeptide (Husic et al. 2020):
 * - `backbone5`: ACE C, ALA N, ALA CA, ALA C, NME N (beads 0–4), a chain. φ is the dihedral of
 *   beads 0-1-2-3, ψ of beads 1-2-3-4.
 * - `backbone6`: the same five beads first, in the same order (so φ and ψ are the same bead
 *   dihedrals and 5-bead analyses apply unchanged), then ALA CB as bead 5, bonded to CA (2).
 */
export const BUILTIN_MAPS: Readonly<Record<string, MapSpec>> = {
  backbone5: { beads: BACKBONE },
  backbone6: {
    beads: [...BACKBONE, { residue: 'ALA', atoms: ['CB'] }],
    bonds: [[0, 1], [1, 2], [2, 3], [3, 4], [2, 5]],
  },
};

/**
 * The bead quadruples that are alanine dipeptide's φ (ACE C, ALA N, CA, C) and ψ (ALA N, CA, C,
 * NME N) under `spec`, when each of those atoms is a bead of its own; undefined otherwise.
 */
export function alaninePhiPsiBeads(spec: MapSpec): { phi: number[]; psi: number[] } | undefined {
  const beadOf = BACKBONE.map((b) => spec.beads.findIndex((s) => s.residue === b.residue && s.atoms.length === 1 && s.atoms[0] === b.atoms[0]));
  if (beadOf.some((i) => i < 0)) return undefined;
  return { phi: beadOf.slice(0, 4), psi: beadOf.slice(1, 5) };
}

/** A map resolved against an all-atom topology. */
export interface ResolvedMap {
  /** M [beads × atoms], rows sum to 1. */
  map: LinearMap;
  /** Bead names, masses (sum of the masses of the atoms each bead reads, amu) and bonds. */
  topology: Topology;
  /** The spec it was built from (stored with models so they can map new data). */
  spec: MapSpec;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Check an untrusted map spec (from JSON), field by field.
 * @param where names the source in messages.
 */
export function checkMapSpec(json: unknown, where: string): MapSpec {
  if (!isObject(json)) throw new Error(`${where}: expected a JSON object with "beads", got ${JSON.stringify(json)}`);
  if (json.format !== undefined && json.format !== MAP_FORMAT) throw new Error(`${where}: format is ${JSON.stringify(json.format)}, expected "${MAP_FORMAT}"`);
  if (json.version !== undefined && json.version !== MAP_VERSION) throw new Error(`${where}: version is ${JSON.stringify(json.version)}; this cglab reads map files of version ${MAP_VERSION}`);
  if (json.weighting !== undefined && json.weighting !== 'mass' && json.weighting !== 'geometry') {
    throw new Error(`${where}: weighting is ${JSON.stringify(json.weighting)}, expected "mass" or "geometry"`);
  }
  if (json.requireAll !== undefined && typeof json.requireAll !== 'boolean') throw new Error(`${where}: requireAll is ${JSON.stringify(json.requireAll)}, expected true or false`);
  if (!Array.isArray(json.beads) || json.beads.length === 0) throw new Error(`${where}: beads must be a non-empty list of {residue, atoms}, got ${JSON.stringify(json.beads)}`);
  json.beads.forEach((b: unknown, k: number) => {
    const at = `${where}: beads[${k}]`;
    if (!isObject(b)) throw new Error(`${at} is ${JSON.stringify(b)}, expected {residue, atoms}`);
    if (typeof b.residue !== 'string') throw new Error(`${at}.residue is ${JSON.stringify(b.residue)}, expected a residue name such as "ALA"`);
    const atomRef = (a: unknown) => typeof a === 'string' || (isObject(a) && typeof a.name === 'string' && typeof a.residue === 'string' && (a.resid === undefined || Number.isInteger(a.resid)));
    if (!Array.isArray(b.atoms) || b.atoms.length === 0 || !b.atoms.every(atomRef)) {
      throw new Error(`${at}.atoms is ${JSON.stringify(b.atoms)}, expected a non-empty list of atom names (or {name, residue, resid?} for atoms of other residues)`);
    }
    if (b.resid !== undefined && !Number.isInteger(b.resid)) throw new Error(`${at}.resid is ${JSON.stringify(b.resid)}, expected an integer`);
    if (b.name !== undefined && (typeof b.name !== 'string' || b.name === '')) throw new Error(`${at}.name is ${JSON.stringify(b.name)}, expected a non-empty string`);
    if (b.weights !== undefined) {
      const w = b.weights;
      if (!Array.isArray(w) || w.length !== b.atoms.length || w.some((v) => typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))) {
        throw new Error(`${at}.weights is ${JSON.stringify(w)}, expected ${b.atoms.length} positive numbers, one per atom`);
      }
    }
  });
  if (json.bonds !== undefined) {
    const n = json.beads.length;
    if (!Array.isArray(json.bonds) || json.bonds.some((p) => !Array.isArray(p) || p.length !== 2 || p.some((i) => !Number.isInteger(i) || i < 0 || i >= n) || p[0] === p[1])) {
      throw new Error(`${where}: bonds is ${JSON.stringify(json.bonds)}, expected pairs [i, j] of distinct bead indices in 0..${n - 1}`);
    }
  }
  return json as unknown as MapSpec;
}

/** Read and check a map file (see the module comment for the format). */
export function readMapFile(path: string): MapSpec {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not a readable JSON map file (${(e as Error).message})`);
  }
  return checkMapSpec(json, path);
}

/**
 * A map by name: 'backbone5', 'backbone6', or the path of a map file (ending in .json).
 * @throws Error listing the built-in names for anything else.
 */
export function mapSpecByName(name: string): MapSpec {
  const builtin = BUILTIN_MAPS[name];
  if (builtin) return builtin;
  if (name.endsWith('.json')) return readMapFile(name);
  throw new Error(`unknown map '${name}': expected ${Object.keys(BUILTIN_MAPS).join(', ')} or a map file ending in .json`);
}

/**
 * Resolve `spec` against the all-atom topology `top`: M, and the CG topology whose bead masses
 * are the sums of the masses of the atoms each bead reads (amu).
 * @throws Error naming the bead for a missing residue or atom, the atoms left out when
 *   `requireAll` is set, or a bond between beads that do not exist.
 */
export function resolveMap(spec: MapSpec, top: Topology, where = 'map'): ResolvedMap {
  const checked = checkMapSpec(spec, where);
  let map: LinearMap;
  try {
    map = residueAtomMap(top, checked.beads, { weighting: checked.weighting ?? 'mass' });
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message.replace(/^residueAtomMap: /, '')}`);
  }
  const missing = map.uncovered();
  if (checked.requireAll && missing.length) {
    const names = missing.map((i) => `${top.atoms[i].residue} ${top.atoms[i].resid} ${top.atoms[i].name}`);
    throw new Error(`${where}: requireAll is set but ${missing.length} atoms belong to no bead (${names.join(', ')}): add them to a bead's atoms, or drop requireAll`);
  }
  if (checked.beads.some((b) => b.weights)) map = withExplicitWeights(map, checked.beads, top, where);
  const beads = checked.beads.map((b, k) => {
    const atoms = map.support(k);
    return {
      name: b.name ?? (atoms.length === 1 ? top.atoms[atoms[0]].name : `B${k}`),
      element: atoms.length === 1 ? top.atoms[atoms[0]].element : '',
      mass: atoms.reduce((s, i) => s + top.atoms[i].mass, 0),
      residue: b.residue,
      resid: top.atoms[atoms[0]].resid,
    };
  });
  const bonds = (checked.bonds ?? Array.from({ length: beads.length - 1 }, (_, i) => [i, i + 1] as const)).map(([i, j]) => [i, j] as [number, number]);
  return { map, topology: makeTopology(beads, bonds), spec: checked };
}

/** `map` with the rows of beads that list `weights` replaced by those weights, normalised. */
function withExplicitWeights(map: LinearMap, beads: readonly MapBead[], top: Topology, where: string): LinearMap {
  const m = Float64Array.from(map.matrix);
  const groups = beadAtomIndices(top, beads);
  beads.forEach((b, k) => {
    if (!b.weights) return;
    const total = b.weights.reduce((s, w) => s + w, 0);
    m.fill(0, k * map.nAtoms, (k + 1) * map.nAtoms);
    groups[k].forEach((i, a) => (m[k * map.nAtoms + i] = (b.weights as readonly number[])[a] / total));
  });
  const out = new LinearMap(m, map.nBeads, map.nAtoms);
  assertPositionMap(out, where);
  return out;
}

/**
 * The map file of bead groups (atom indices of `top`), as a learned assignment gives them:
 * each bead is named `names[k]` (default `B<k>`) and lives in the residue holding most of its mass (its other atoms
 * written as {name, residue, resid}); beads are bonded where an atomistic bond joins their
 * atoms. Every atom must belong to exactly one bead.
 * @throws Error for an atom in no bead or in two.
 */
export function groupsMapSpec(top: Topology, groups: ReadonlyArray<readonly number[]>, weighting: GroupWeighting = 'mass', names?: readonly string[]): MapSpec {
  const beadOf = new Int32Array(top.atoms.length).fill(-1);
  groups.forEach((g, k) => g.forEach((i) => {
    if (beadOf[i] >= 0) throw new Error(`groupsMapSpec: atom ${i} is in beads ${beadOf[i]} and ${k}`);
    beadOf[i] = k;
  }));
  const missing = [...beadOf.keys()].filter((i) => beadOf[i] < 0);
  if (missing.length) throw new Error(`groupsMapSpec: atoms ${missing.join(', ')} are in no bead`);
  const beads = groups.map((g, k): MapBead => {
    const massIn = new Map<string, number>();
    for (const i of g) {
      const key = `${top.atoms[i].residue} ${top.atoms[i].resid}`;
      massIn.set(key, (massIn.get(key) ?? 0) + top.atoms[i].mass);
    }
    const home = [...massIn].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    const first = top.atoms[g.find((i) => `${top.atoms[i].residue} ${top.atoms[i].resid}` === home) as number];
    return {
      name: names?.[k] ?? `B${k}`,
      residue: first.residue,
      resid: first.resid,
      atoms: g.map((i) => {
        const a = top.atoms[i];
        return a.residue === first.residue && a.resid === first.resid ? a.name : { name: a.name, residue: a.residue, resid: a.resid };
      }),
    };
  });
  const bonds = new Set<string>();
  for (const [i, j] of top.bonds) {
    const [a, b] = [beadOf[i], beadOf[j]].sort((p, q) => p - q);
    if (a !== b) bonds.add(`${a},${b}`);
  }
  return {
    format: MAP_FORMAT,
    version: MAP_VERSION,
    weighting,
    requireAll: true,
    beads,
    bonds: [...bonds].map((s) => s.split(',').map(Number) as [number, number]).sort((p, q) => p[0] - q[0] || p[1] - q[1]),
  };
}
