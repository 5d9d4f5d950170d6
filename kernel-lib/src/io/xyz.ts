/**
 * XYZ files: frames one after another, each an atom-count line, a comment line and one line per
 * atom, `label x y z` in Å. The label is an element symbol or, for CG beads, a bead name. A
 * comment carrying extended XYZ's `Lattice="ax ay az bx by bz cx cy cz"` (Å) gives the box.
 */
import { readFileSync } from 'node:fs';
import { elementMass, makeTopology, type Atom } from '../topology/topology.js';
import { ANGSTROM_TO_NM } from '../units.js';
import { writeFileAtomic } from './atomic.js';
import { parseDecimal } from './decimal.js';
import { makeTrajectory, type Trajectory } from './trajectory.js';

/** Decimals written for coordinates (Å): 1e-6 Å is about float32's resolution of a position of a few nm. */
const DECIMALS = 6;

/**
 * Read an XYZ file (see {@link parseXyz}).
 * @returns positions [frames, atoms, 3] nm; box [frames, 3, 3] nm when every frame has a Lattice.
 */
export function readXyz(path: string): Trajectory {
  return parseXyz(readFileSync(path, 'utf8'), path);
}

/**
 * Parse the text of an XYZ file; `source` names it in error messages. Every frame must list the
 * same labels in the same order. A label is taken as an element when it is a known symbol
 * written as one ("C", "Ca", "Cl"); anything else ("CA", "B1") is a bead with element "" and
 * mass 0. XYZ has no residues: every atom gets residue "" and number 0, and there are no bonds.
 * Columns after z (extended XYZ properties) are ignored.
 * @returns positions [frames, atoms, 3] nm; box [frames, 3, 3] nm (rows a, b, c) when the
 *   comments carry a Lattice.
 * @throws Error naming `source`, the line and what was expected there.
 */
export function parseXyz(text: string, source: string): Trajectory {
  const lines = text.split(/\r?\n/);
  let end = lines.length;
  while (end > 0 && lines[end - 1].trim() === '') end--;
  const at = (i: number) => `${source} line ${i + 1}`;
  const labels: string[] = [];
  const coords: number[] = [];
  const boxes: (Float64Array | undefined)[] = [];
  let i = 0;
  while (i < end) {
    const f = boxes.length;
    const countText = lines[i].trim();
    if (!/^\d+$/.test(countText) || Number(countText) === 0) {
      throw new Error(`${at(i)}: expected the atom count of frame ${f} (a positive integer), found '${countText}'`);
    }
    const n = Number(countText);
    if (f > 0 && n !== labels.length) {
      throw new Error(`${at(i)}: frame ${f} has ${n} atoms but frame 0 has ${labels.length}; every frame must hold the same atoms`);
    }
    if (i + 1 >= end) throw new Error(`${source}: frame ${f} is truncated: the file ends after its atom count (line ${i + 1})`);
    boxes.push(lattice(lines[i + 1], at(i + 1)));
    for (let k = 0; k < n; k++) {
      const j = i + 2 + k;
      if (j >= end) throw new Error(`${source}: frame ${f} is truncated: it declares ${n} atoms but the file ends after ${k}`);
      const tok = lines[j].trim().split(/\s+/);
      if (tok.length < 4) throw new Error(`${at(j)}: expected 'label x y z', found '${lines[j].trim()}'`);
      for (let d = 1; d <= 3; d++) {
        const v = parseDecimal(tok[d]);
        if (Number.isNaN(v)) {
          throw new Error(`${at(j)}: ${'xyz'[d - 1]} coordinate '${tok[d]}' is not a number (field ${d + 1})`);
        }
        coords.push(v * ANGSTROM_TO_NM);
      }
      if (f === 0) {
        labels.push(tok[0]);
      } else if (tok[0] !== labels[k]) {
        throw new Error(`${at(j)}: atom ${k} of frame ${f} is '${tok[0]}' but in frame 0 it is '${labels[k]}'; every frame must hold the same atoms`);
      }
    }
    i += n + 2;
  }
  if (boxes.length === 0) throw new Error(`${source}: no frames; expected an atom count on the first line`);
  const atoms: Atom[] = labels.map((name) => {
    const element = /^[A-Z][a-z]?$/.test(name) && elementMass(name) !== undefined ? name : '';
    return { name, element, mass: elementMass(element) ?? 0, residue: '', resid: 0, chain: '' };
  });
  let box: Float32Array | undefined;
  if (boxes.some((b) => b)) {
    box = new Float32Array(boxes.length * 9);
    boxes.forEach((b, f) => {
      if (!b) throw new Error(`${source}: frame ${f} has no Lattice in its comment but other frames have one`);
      box!.set(b, 9 * f);
    });
  }
  return makeTrajectory(
    { topology: makeTopology(atoms), nFrames: boxes.length, nAtoms: labels.length, positions: Float32Array.from(coords), box },
    source,
  );
}

/** Box vectors (nm) from an extended-XYZ comment's Lattice (Å), or undefined when it has none. */
function lattice(comment: string, where: string): Float64Array | undefined {
  const m = /Lattice\s*=\s*"([^"]*)"/i.exec(comment);
  if (!m) return undefined;
  const v = m[1].trim().split(/\s+/).map(parseDecimal);
  if (v.length !== 9 || v.some(Number.isNaN)) {
    throw new Error(`${where}: Lattice="${m[1]}" must hold 9 numbers (the box vectors a, b, c in Å)`);
  }
  return Float64Array.from(v, (x) => x * ANGSTROM_TO_NM);
}

/**
 * Write `traj` as an XYZ file, atomically (see {@link formatXyz}).
 * @throws Error naming `path` and the atom or frame XYZ cannot hold.
 */
export function writeXyz(path: string, traj: Trajectory): void {
  writeFileAtomic(path, encodeXyz(traj, path));
}

/**
 * The text of an XYZ file holding `traj`: positions (nm) in Å with 6 decimals, labelled by
 * element, or by name for atoms without one (CG beads). A box becomes an extended-XYZ Lattice.
 * Names of atoms with an element, residues, masses and bonds are not stored.
 * @throws Error when the trajectory has no topology or no frames, a label is empty or holds
 *   spaces, or a coordinate is NaN or infinite.
 */
export function formatXyz(traj: Trajectory): string {
  return encodeXyz(traj, 'formatXyz');
}

function encodeXyz(traj: Trajectory, where: string): string {
  const top = traj.topology;
  if (!top) throw new Error(`${where}: the trajectory has no topology; XYZ needs an element or name per atom`);
  const { nFrames, nAtoms, positions, box } = traj;
  if (nFrames === 0) throw new Error(`${where}: the trajectory has no frames; an XYZ file needs at least one`);
  const labels = top.atoms.map((a, i) => {
    const label = a.element || a.name;
    if (!/^\S+$/.test(label)) throw new Error(`${where}: atom ${i} has label '${label}'; XYZ needs an element or name without spaces`);
    return label;
  });
  const out: string[] = [];
  const properties = 'Properties=species:S:1:pos:R:3';
  for (let f = 0; f < nFrames; f++) {
    out.push(String(nAtoms));
    if (box) {
      const v = Array.from(box.subarray(9 * f, 9 * f + 9), (x) => {
        if (!Number.isFinite(x)) throw new Error(`${where}: frame ${f}: box vector component is ${x}; the box must be finite`);
        return (x / ANGSTROM_TO_NM).toFixed(DECIMALS);
      });
      out.push(`Lattice="${v.join(' ')}" ${properties}`);
    } else {
      out.push(properties);
    }
    for (let i = 0; i < nAtoms; i++) {
      const o = (f * nAtoms + i) * 3;
      const xyz = [0, 1, 2].map((k) => {
        const v = positions[o + k] / ANGSTROM_TO_NM;
        if (!Number.isFinite(v)) {
          throw new Error(`${where}: frame ${f}, atom ${i} ('${labels[i]}'): ${'xyz'[k]} coordinate is ${v}; XYZ needs finite coordinates`);
        }
        return v.toFixed(DECIMALS);
      });
      out.push(`${labels[i]} ${xyz.join(' ')}`);
    }
  }
  return `${out.join('\n')}\n`;
}
