/**
 * GROMACS GRO files (Gromos87 format), as the GROMACS manual describes them: each frame is
 * 1. a title line (free text; a time in ps may follow `t=`, as `gmx trjconv` writes it);
 * 2. the atom count (a free-format integer);
 * 3. one fixed-column line per atom: residue number (columns 1-5), residue name (6-10), atom name
 *    (11-15), atom number (16-20), then x, y, z (nm) and optionally vx, vy, vz (nm/ps), each
 *    field `n + 5` characters wide with `n` decimals (n + 1 for velocities): 8.3 and 8.4 by
 *    default; other widths are what `gmx trjconv -ndec` writes, and, as GROMACS does, the width
 *    is read from the distance between the first two decimal points of a frame's first atom line;
 * 4. the box line: three numbers v1(x) v2(y) v3(z) for a rectangular box, or nine,
 *    v1(x) v2(y) v3(z) v1(y) v1(z) v2(x) v2(z) v3(x) v3(y), for a triclinic one (nm).
 * A trajectory is frames concatenated. Units are GROMACS's, which are cglab's internal ones.
 *
 * Residue and atom numbers wrap after 99999 in GRO files, so residue numbers are taken as written
 * and atom numbers are ignored (atoms are identified by their order, as GROMACS does).
 */
import { readFileSync } from 'node:fs';
import { elementMass, makeTopology, type Atom } from '../topology/topology.js';
import { parseDecimal } from './decimal.js';
import { elementFromName } from './pdb.js';
import { makeTrajectory, type Trajectory } from './trajectory.js';

/** Column where the coordinates start (0-based): after resid, residue name, atom name and atom number, 5 each. */
const XYZ_START = 20;
/** Index in our row-major [3, 3] box of each of the GRO box line's nine values, in file order. */
const BOX_ORDER = [0, 4, 8, 1, 2, 3, 5, 6, 7] as const;

/** A GRO read: a {@link Trajectory} with the velocities, when every frame has them. */
export interface GroTrajectory extends Trajectory {
  /** [nFrames, nAtoms, 3], nm/ps; absent unless every atom line of every frame has velocities. */
  velocities?: Float32Array;
}

/**
 * Read a GRO file (see {@link parseGro}).
 * @returns positions [frames, atoms, 3] nm, box [frames, 3, 3] nm, velocities nm/ps when present.
 */
export function readGro(path: string): GroTrajectory {
  return parseGro(readFileSync(path, 'utf8'), path);
}

/**
 * Parse the text of a GRO file; `source` names it in error messages.
 *
 * Every frame must hold the same atoms (names, residue names and numbers) as the first. Elements
 * are inferred from the atom names with the PDB reader's rule ({@link elementFromName}): the
 * first letter after any leading digits, except that an atom alone in a residue of its own name
 * ("NA" in NA, "CL" in CL) is taken as that two-letter element; a name from which no element
 * follows (a virtual site "MW", a bead) gives element "" and mass 0. Masses (amu) come from the
 * element; GRO files store no masses and no bonds, so the topology has none (give a PDB with
 * CONECT records as `top` where bonds matter). Chains are "".
 *
 * @returns positions [frames, atoms, 3] nm; box [frames, 3, 3] nm (rows the box vectors) unless
 *   every frame's box is zero; time [frames] ps when every title has `t=`; velocities nm/ps when
 *   every frame has them.
 * @throws Error naming `source`, the line (1-based), the field and its columns, and what was
 *   expected: a missing or bad atom count, an atom line that is short or whose number does not
 *   parse, inconsistent decimal spacing, a file that ends inside a frame, a box line without 3
 *   or 9 numbers, or a frame whose atoms differ from the first's.
 */
export function parseGro(text: string, source: string): GroTrajectory {
  const lines = text.split(/\r?\n/);
  // Blank lines after the last frame are not a frame.
  let end = lines.length;
  while (end > 0 && lines[end - 1].trim() === '') end--;
  const at = (i: number) => `${source} line ${i + 1}`;

  const atoms: Atom[] = [];
  const positions: number[] = [];
  const velocities: number[] = [];
  let allVelocities = true;
  const boxes: Float64Array[] = [];
  const times: number[] = [];
  let allTimes = true;
  let nAtoms = -1;
  let frame = 0;
  let i = 0;
  while (i < end) {
    const titleLine = i;
    const time = titleTime(lines[i]);
    if (time === undefined) allTimes = false;
    else times.push(time);
    i++;
    if (i >= end) throw new Error(`${at(titleLine)}: frame ${frame + 1} ends after its title; expected the atom count on line ${i + 1}`);
    const countText = lines[i].trim();
    if (!/^\d+$/.test(countText)) {
      throw new Error(`${at(i)}: the atom count of frame ${frame + 1} is '${countText}', expected a non-negative integer (the line after the title)`);
    }
    const n = Number.parseInt(countText, 10);
    if (frame === 0) nAtoms = n;
    else if (n !== nAtoms) {
      throw new Error(`${at(i)}: frame ${frame + 1} has ${n} atoms but frame 1 has ${nAtoms}; every frame must hold the same atoms`);
    }
    i++;
    if (i + n >= end) {
      // n atom lines and the box line must follow.
      const have = Math.min(n, end - i);
      const what = have < n ? `${have} of its ${n} atom lines` : `its ${n} atom lines but before the box line`;
      throw new Error(`${at(end - 1)}: the file ends inside frame ${frame + 1} (title on line ${titleLine + 1}), after ${what}: the file is truncated`);
    }
    const width = n > 0 ? fieldWidth(lines[i], at(i)) : 8;
    const frameVelocities = n > 0 && hasVelocities(lines[i], width);
    for (let k = 0; k < n; k++, i++) {
      const line = lines[i];
      const where = at(i);
      if (line.length < XYZ_START + 3 * width) {
        throw new Error(`${where}: atom ${k + 1} of frame ${frame + 1}: the line has ${line.length} characters; resid, names, number and x, y, z of width ${width} need ${XYZ_START + 3 * width}`);
      }
      for (let d = 0; d < 3; d++) positions.push(field(line, XYZ_START + d * width, width, 'xyz'[d], where));
      if (frameVelocities) {
        const start = XYZ_START + 3 * width;
        if (line.slice(start).trim() === '') {
          throw new Error(`${where}: atom ${k + 1} of frame ${frame + 1} has no velocities but the frame's first atom has; give every atom of a frame velocities or none (columns ${start + 1}-${start + 3 * width})`);
        }
        for (let d = 0; d < 3; d++) velocities.push(field(line, start + d * width, width, `v${'xyz'[d]}`, where));
      }
      const residField = line.slice(0, 5).trim();
      if (!/^-?\d+$/.test(residField)) throw new Error(`${where}: residue number '${residField}' is not an integer (columns 1-5)`);
      const resid = Number.parseInt(residField, 10);
      const residue = line.slice(5, 10).trim();
      const name = line.slice(10, 15).trim();
      if (frame === 0) {
        const element = elementFromName(name, residue.toUpperCase() === name.toUpperCase());
        atoms.push({ name, element, mass: elementMass(element) ?? 0, residue, resid, chain: '' });
      } else {
        const want = atoms[k];
        if (want.name !== name || want.residue !== residue || want.resid !== resid) {
          throw new Error(
            `${where}: atom ${k + 1} of frame ${frame + 1} is '${name}' in ${residue} ${resid} but in frame 1 it is '${want.name}' in ${want.residue} ${want.resid}; every frame must hold the same atoms`,
          );
        }
      }
    }
    if (!frameVelocities) allVelocities = false;
    boxes.push(boxLine(lines[i], at(i)));
    i++;
    frame++;
  }
  if (frame === 0) throw new Error(`${source}: the file is empty; expected a title line, the atom count, the atom lines and the box`);

  let box: Float32Array | undefined;
  const isZero = (b: Float64Array) => b.every((v) => v === 0);
  if (!boxes.every(isZero)) {
    const zero = boxes.findIndex(isZero);
    if (zero >= 0) throw new Error(`${source}: frame ${zero + 1} has a zero box but other frames have a box; give every frame its box`);
    box = new Float32Array(frame * 9);
    boxes.forEach((b, k) => box!.set(b, 9 * k));
  }
  const traj: GroTrajectory = makeTrajectory(
    {
      topology: makeTopology(atoms),
      nFrames: frame,
      nAtoms,
      positions: Float32Array.from(positions),
      ...(box ? { box } : {}),
      ...(allTimes ? { time: Float32Array.from(times) } : {}),
      provenance: { reader: 'gro', file: source },
    },
    source,
  );
  if (allVelocities && nAtoms > 0) traj.velocities = Float32Array.from(velocities);
  return traj;
}

/** The time (ps) after `t=` in a title, as `gmx trjconv` writes it ("… t= 10.00000 step= 5000"), or undefined. */
function titleTime(title: string): number | undefined {
  const m = /(?:^|\s)t=\s*(\S+)/.exec(title);
  if (!m) return undefined;
  const t = parseDecimal(m[1]);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The width of the coordinate fields: the distance between the first two decimal points from
 * column 21 on (GROMACS's rule), checked against the third.
 */
function fieldWidth(line: string, where: string): number {
  const p1 = line.indexOf('.', XYZ_START);
  const p2 = p1 < 0 ? -1 : line.indexOf('.', p1 + 1);
  const p3 = p2 < 0 ? -1 : line.indexOf('.', p2 + 1);
  if (p3 < 0) {
    throw new Error(`${where}: expected x, y and z with decimal points from column ${XYZ_START + 1} on (e.g. '   1.234   5.678   9.012'), found '${line.slice(XYZ_START)}'`);
  }
  const width = p2 - p1;
  if (p3 - p2 !== width || width < 5) {
    throw new Error(`${where}: the decimal points of x, y and z are ${p2 - p1} and ${p3 - p2} columns apart; GRO fields have one width, n + 5 for n decimals (8 by default)`);
  }
  return width;
}

/** Whether an atom line carries anything after its coordinates. */
const hasVelocities = (line: string, width: number) => line.slice(XYZ_START + 3 * width).trim() !== '';

/** The number in columns [start, start + width) of `line`, or an error naming the field and its columns. */
function field(line: string, start: number, width: number, name: string, where: string): number {
  const text = line.slice(start, start + width);
  const v = parseDecimal(text);
  if (Number.isNaN(v)) throw new Error(`${where}: ${name} '${text.trim()}' is not a number (columns ${start + 1}-${start + width})`);
  return v;
}

/** The box vectors (rows, nm) of a box line of 3 or 9 numbers. */
function boxLine(line: string, where: string): Float64Array {
  const parts = line.trim().split(/\s+/).filter((s) => s !== '');
  if (parts.length !== 3 && parts.length !== 9) {
    throw new Error(`${where}: the box line has ${parts.length} values ('${line.trim()}'), expected 3 (v1x v2y v3z) or 9 (v1x v2y v3z v1y v1z v2x v2z v3x v3y), nm`);
  }
  const box = new Float64Array(9);
  parts.forEach((p, j) => {
    const v = parseDecimal(p);
    if (Number.isNaN(v)) throw new Error(`${where}: box value ${j + 1} '${p}' is not a number; expected 3 or 9 numbers (nm)`);
    box[BOX_ORDER[j]] = v;
  });
  return box;
}
