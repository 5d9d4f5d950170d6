/**
 * Topology: atoms (or CG beads), their residues and bonds. A bead is an atom whose element may
 * be empty or a non-element name ("CA", "B1"): every reader, writer and viewer accepts it.
 */

/** One atom or CG bead. */
export interface Atom {
  /** Atom name as in the PDB file ("CA", "HB1") or a bead name. */
  name: string;
  /** Element symbol ("C", "H"), or "" for a CG bead / unknown. */
  element: string;
  /** Mass, amu. */
  mass: number;
  /** Residue name ("ALA"). */
  residue: string;
  /** Residue number as the source file numbers it. */
  resid: number;
  /** Chain identifier, "" when none. */
  chain?: string;
}

/** Atoms in order and bonds between them (pairs of atom indices, 0-based). */
export interface Topology {
  atoms: Atom[];
  bonds: [number, number][];
}

/** Standard atomic masses (amu) of the elements biomolecular files use. */
export const ELEMENT_MASS: Readonly<Record<string, number>> = Object.freeze({
  H: 1.008, He: 4.0026, Li: 6.94, B: 10.81, C: 12.011, N: 14.007, O: 15.999, F: 18.998,
  Ne: 20.18, Na: 22.99, Mg: 24.305, Al: 26.982, Si: 28.085, P: 30.974, S: 32.06, Cl: 35.45,
  Ar: 39.948, K: 39.098, Ca: 40.078, Mn: 54.938, Fe: 55.845, Co: 58.933, Ni: 58.693,
  Cu: 63.546, Zn: 65.38, Se: 78.971, Br: 79.904, Kr: 83.798, I: 126.9, Xe: 131.29,
});

/** Mass of an element symbol (case-insensitive), or undefined for beads / unknown symbols. */
export function elementMass(symbol: string): number | undefined {
  if (!symbol) return undefined;
  const s = symbol[0].toUpperCase() + symbol.slice(1).toLowerCase();
  return ELEMENT_MASS[s];
}

/**
 * Build a topology, checking that every bond names two distinct atoms that exist.
 * @throws Error naming the offending bond.
 */
export function makeTopology(atoms: Atom[], bonds: [number, number][] = []): Topology {
  const n = atoms.length;
  for (const [k, [i, j]] of bonds.entries()) {
    if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0 || i >= n || j >= n || i === j) {
      throw new Error(`bond ${k} (${i}, ${j}) must join two distinct atoms with indices in 0..${n - 1}`);
    }
  }
  return { atoms, bonds };
}

/** Total mass of the topology, amu. */
export function totalMass(top: Topology): number {
  return top.atoms.reduce((s, a) => s + a.mass, 0);
}

/** Atom masses as an array, amu. */
export function masses(top: Topology): Float64Array {
  return Float64Array.from(top.atoms, (a) => a.mass);
}

/** What a selection may test; every given field must match. */
export interface Selection {
  /** Atom names to keep, e.g. ["N", "CA", "C"]. */
  name?: string | string[];
  /** Residue names to keep. */
  residue?: string | string[];
  /** Residue numbers to keep. */
  resid?: number | number[];
  /** Element symbols to keep. */
  element?: string | string[];
  /** Explicit atom indices (0-based) to keep. */
  index?: number | number[];
}

const asList = <T>(v: T | T[] | undefined): T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/**
 * Indices (ascending) of the atoms matching every given criterion of `sel`.
 * @throws Error when nothing matches, so a typo in a name never yields an empty mapping.
 */
export function select(top: Topology, sel: Selection): number[] {
  const names = asList(sel.name);
  const residues = asList(sel.residue);
  const resids = asList(sel.resid);
  const elements = asList(sel.element)?.map((e) => e.toLowerCase());
  const index = asList(sel.index);
  if (index) {
    for (const i of index) {
      if (!Number.isInteger(i) || i < 0 || i >= top.atoms.length) {
        throw new Error(`selection index ${i} is out of range 0..${top.atoms.length - 1}`);
      }
    }
  }
  const idx = new Set(index);
  const out: number[] = [];
  top.atoms.forEach((a, i) => {
    if (names && !names.includes(a.name)) return;
    if (residues && !residues.includes(a.residue)) return;
    if (resids && !resids.includes(a.resid)) return;
    if (elements && !elements.includes(a.element.toLowerCase())) return;
    if (index && !idx.has(i)) return;
    out.push(i);
  });
  if (out.length === 0) throw new Error(`selection ${JSON.stringify(sel)} matches no atom`);
  return out;
}

/** A topology restricted to `indices` (in that order), with the bonds among them renumbered. */
export function subset(top: Topology, indices: number[]): Topology {
  const map = new Map(indices.map((i, k) => [i, k]));
  const bonds: [number, number][] = [];
  for (const [i, j] of top.bonds) {
    const a = map.get(i);
    const b = map.get(j);
    if (a !== undefined && b !== undefined) bonds.push([a, b]);
  }
  return { atoms: indices.map((i) => ({ ...top.atoms[i] })), bonds };
}
