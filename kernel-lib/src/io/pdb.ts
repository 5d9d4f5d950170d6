/**
 * PDB files (wwPDB format 3.3, coordinate section): fixed-column ATOM/HETATM records in Å,
 * frames as MODEL/ENDMDL blocks, bonds as CONECT records and the periodic cell as CRYST1.
 *
 * Conventions beyond the specification, chosen to agree with mdtraj and OpenMM:
 * - CG beads: an atom whose element is "" is written with "VS" in columns 77-78, as mdtraj writes
 *   beads (its "virtual site" element, mass 0), and both "VS" and OpenMM's "EP" (extra particle)
 *   are read back as element "" with mass 0, so a bead named "CA" or "B1" keeps its name and does
 *   not turn into carbon or boron. When columns 77-78 are blank the element is inferred from the
 *   atom name (see {@link parsePdb}).
 * - Numbering past the fields' width: atom serials are written modulo 100000 and residue numbers
 *   outside −999…9999 modulo 10000, as mdtraj and OpenMM write them. On reading, a residue number
 *   that is not decimal is read as hexadecimal (VMD's convention) and, as in mdtraj, every later
 *   one until the next TER or MODEL too. Atom serials only serve to resolve CONECT records, which
 *   match them by their text, so decimal, hexadecimal and hybrid-36 serials all work as long as
 *   the CONECT records spell them as the ATOM records do.
 * - Residue names may take four characters, columns 18-21, as GROMACS writes them.
 * - Masses come from the element (topology.ts ELEMENT_MASS); PDB files store no masses.
 */
import { readFileSync } from 'node:fs';
import { elementMass, makeTopology, type Atom } from '../topology/topology.js';
import { ANGSTROM_TO_NM } from '../units.js';
import { writeFileAtomic } from './atomic.js';
import { boxVectorsToLengthsAngles, lengthsAnglesToBoxVectors } from './box.js';
import { parseDecimal } from './decimal.js';
import { makeTrajectory, type Trajectory } from './trajectory.js';

/** Element column written for atoms without an element: mdtraj's virtual site, which it reads back as such. */
const NO_ELEMENT = 'VS';
/** Element columns read as "no element": mdtraj's virtual site and OpenMM's extra particle. */
const NO_ELEMENT_READ = new Set(['VS', 'EP']);
/** Serials and residue numbers wrap at these, the capacities of their 5- and 4-column fields. */
const SERIAL_WRAP = 100000;
const RESID_WRAP = 10000;
/** Axis and 0-based [start, end) columns of the coordinates in ATOM/HETATM records. */
const COORDINATE_COLUMNS = [['x', 30, 38], ['y', 38, 46], ['z', 46, 54]] as const;

/**
 * Read a PDB file (see {@link parsePdb}).
 * @returns positions [frames, atoms, 3] nm; box [frames, 3, 3] nm when the file has a CRYST1.
 */
export function readPdb(path: string): Trajectory {
  return parsePdb(readFileSync(path, 'utf8'), path);
}

interface Frame {
  /** Å, flat [atoms, 3]. */
  coords: number[];
  /** Box vectors from the CRYST1 in force when the model ended, nm. */
  box?: Float64Array;
  /** 1-based line where the model started, for messages. */
  line: number;
}

/**
 * Parse the text of a PDB file; `source` names it in error messages.
 *
 * Every model (MODEL…ENDMDL, or blocks separated by END) is one frame and must hold the same
 * atoms as the first. Alternate locations beyond the first of an atom are skipped. CONECT
 * records anywhere in the file become bonds, each pair once; no bond is inferred from residue
 * templates. A CRYST1 record gives the box of the models that follow it; the 1 Å cubic cell
 * the PDB uses for structures without a crystal cell, and cells with a zero edge, mean no box.
 *
 * Elements: columns 77-78 when present ("VS" or "EP": no element, mass 0); otherwise inferred from the
 * name in columns 13-16, which by the PDB's convention right-aligns the element symbol in columns
 * 13-14: a two-letter symbol when the name is only that symbol starting in column 13 ("CA  " is
 * calcium, " CA " carbon), else the first letter after any leading digits ("1HB" is hydrogen).
 * A name from which no known element follows (a bead such as "X1") gives element "" and mass 0.
 *
 * @returns positions [frames, atoms, 3] nm; box [frames, 3, 3] nm when the file has a CRYST1;
 *   topology with names, residues, chains ("" when blank), elements, masses (amu) and bonds.
 * @throws Error naming `source`, the line, the field and its columns, and what was expected.
 */
export function parsePdb(text: string, source: string): Trajectory {
  const lines = text.split(/\r?\n/);
  const at = (n: number) => `${source} line ${n}`;
  const atoms: Atom[] = [];
  // serial text → atom index in the first model; -1 once several atoms share it (wrapped serials)
  const serials = new Map<string, number>();
  const frames: Frame[] = [];
  const conect: number[] = [];
  let frame: Frame | undefined;
  let cell: Float64Array | undefined;
  let hexResid = false;
  const altSeen = new Set<string>();

  const open = (line: number) => {
    frame = { coords: [], line };
    hexResid = false;
    altSeen.clear();
  };
  const close = () => {
    if (!frame) return;
    const k = frames.length;
    const n = frame.coords.length / 3;
    if (n === 0) throw new Error(`${at(frame.line)}: model ${k + 1} holds no ATOM or HETATM records`);
    if (k > 0 && n !== atoms.length) {
      throw new Error(
        `${at(frame.line)}: model ${k + 1} has ${n} atoms but model 1 has ${atoms.length}; every model must hold the same atoms`,
      );
    }
    frame.box = cell;
    frames.push(frame);
    frame = undefined;
  };

  lines.forEach((line, i) => {
    const n = i + 1;
    const rec = line.slice(0, 6);
    if (rec === 'ATOM  ' || rec === 'HETATM') {
      if (!frame) open(n);
      const f = frame as Frame;
      const altLoc = line[16] ?? ' ';
      if (altLoc !== ' ') {
        const key = line.slice(12, 16) + line.slice(17, 27);
        if (altSeen.has(key)) return;
        altSeen.add(key);
      }
      if (line.length < 54) {
        throw new Error(`${at(n)}: ${rec.trim()} record has ${line.length} characters; the coordinates need columns 31-54`);
      }
      const xyz = COORDINATE_COLUMNS.map(([axis, a, b]) => {
        const v = parseDecimal(line.slice(a, b));
        if (Number.isNaN(v)) {
          throw new Error(`${at(n)}: ${axis} coordinate '${line.slice(a, b).trim()}' is not a number (columns ${a + 1}-${b})`);
        }
        return v;
      });
      const name = line.slice(12, 16).trim();
      const residue = line.slice(17, 21).trim();
      const chain = line[21] === undefined ? '' : line[21].trim();
      const residField = line.slice(22, 26).trim();
      let resid: number;
      if (!hexResid && /^-?\d+$/.test(residField)) {
        resid = Number.parseInt(residField, 10);
      } else if (/^[0-9a-fA-F]+$/.test(residField)) {
        resid = Number.parseInt(residField, 16);
        hexResid = true;
      } else {
        throw new Error(`${at(n)}: residue number '${residField}' is neither decimal nor hexadecimal (columns 23-26)`);
      }
      const index = f.coords.length / 3;
      if (frames.length === 0) {
        const element = elementOf(line);
        atoms.push({ name, element, mass: elementMass(element) ?? 0, residue, resid, chain });
        const serial = serialKey(line.slice(6, 11));
        if (serial !== '') serials.set(serial, serials.has(serial) ? -1 : index);
      } else {
        const want = atoms[index];
        if (want === undefined) {
          throw new Error(
            `${at(n)}: model ${frames.length + 1} has more atoms than model 1 (${atoms.length}); every model must hold the same atoms`,
          );
        }
        if (want.name !== name || want.residue !== residue || want.resid !== resid || want.chain !== chain) {
          throw new Error(
            `${at(n)}: atom ${index + 1} of model ${frames.length + 1} is ${describe(name, residue, resid, chain)} ` +
              `but in model 1 it is ${describe(want.name, want.residue, want.resid, want.chain ?? '')}; every model must hold the same atoms`,
          );
        }
      }
      f.coords.push(...xyz);
    } else if (rec.startsWith('MODEL')) {
      close();
      open(n);
    } else if (rec === 'ENDMDL' || rec.trim() === 'END') {
      close();
    } else if (rec.startsWith('TER')) {
      hexResid = false;
    } else if (rec === 'CRYST1') {
      cell = parseCryst1(line, at(n));
    } else if (rec === 'CONECT') {
      conect.push(n);
    }
  });
  close();
  if (frames.length === 0) throw new Error(`${source}: no ATOM or HETATM records; expected at least one atom`);

  const bonds = conectBonds(lines, conect, serials, at);
  const nAtoms = atoms.length;
  const positions = new Float32Array(frames.length * nAtoms * 3);
  frames.forEach((f, k) => f.coords.forEach((v, j) => (positions[k * nAtoms * 3 + j] = v * ANGSTROM_TO_NM)));
  let box: Float32Array | undefined;
  if (frames.some((f) => f.box)) {
    box = new Float32Array(frames.length * 9);
    frames.forEach((f, k) => {
      if (!f.box) {
        throw new Error(
          `${at(f.line)}: model ${k + 1} has no CRYST1 box before its end but other models have one; ` +
            'put a CRYST1 record before the first model',
        );
      }
      box!.set(f.box, k * 9);
    });
  }
  return makeTrajectory({ topology: makeTopology(atoms, bonds), nFrames: frames.length, nAtoms, positions, box }, source);
}

const describe = (name: string, residue: string, resid: number, chain: string) =>
  `'${name}' in ${residue || '(no residue name)'} ${resid}${chain ? ` chain ${chain}` : ''}`;

/** The key CONECT records use to name an atom: decimal serials without leading zeros, anything else as written. */
function serialKey(field: string): string {
  const t = field.trim();
  return /^\d+$/.test(t) ? String(Number.parseInt(t, 10)) : t;
}

/** Element from columns 77-78, else inferred from the name in columns 13-16 (see parsePdb). */
function elementOf(line: string): string {
  const col = line.slice(76, 78).trim();
  if (NO_ELEMENT_READ.has(col.toUpperCase())) return '';
  if (col !== '') return col[0].toUpperCase() + col.slice(1).toLowerCase();
  const field = line.slice(12, 16).padEnd(4);
  return elementFromName(field.trim(), field[0] !== ' ');
}

/**
 * The element an atom name implies: when `twoLetter` and the name is exactly a known two-letter
 * symbol ("CL", "Na"), that element; otherwise the first letter after any leading digits ("1HB"
 * is hydrogen, "CA" carbon); "" when no known element follows (a bead such as "X1"). PDB passes
 * `twoLetter` for names starting in column 13; the GRO reader for single-atom ion residues.
 */
export function elementFromName(name: string, twoLetter: boolean): string {
  if (twoLetter && /^[A-Za-z]{2}$/.test(name) && elementMass(name) !== undefined) {
    return name[0].toUpperCase() + name[1].toLowerCase();
  }
  const first = name.replace(/^\d+/, '')[0];
  return first !== undefined && elementMass(first) !== undefined ? first.toUpperCase() : '';
}

/** Box vectors (nm) of a CRYST1 record, or undefined for the PDB's "no cell" placeholders. */
function parseCryst1(line: string, where: string): Float64Array | undefined {
  if (line.length < 54) {
    throw new Error(`${where}: CRYST1 record has ${line.length} characters; the cell lengths and angles need columns 7-54`);
  }
  const fields = [
    ['a', 6, 15], ['b', 15, 24], ['c', 24, 33], ['alpha', 33, 40], ['beta', 40, 47], ['gamma', 47, 54],
  ] as const;
  const v = fields.map(([name, a, b]) => {
    const x = parseDecimal(line.slice(a, b));
    if (Number.isNaN(x)) {
      throw new Error(`${where}: CRYST1 ${name} '${line.slice(a, b).trim()}' is not a number (columns ${a + 1}-${b})`);
    }
    return x;
  });
  const [a, b, c, alpha, beta, gamma] = v;
  if (a === 0 || b === 0 || c === 0) return undefined;
  if (a === 1 && b === 1 && c === 1 && alpha === 90 && beta === 90 && gamma === 90) return undefined;
  try {
    return lengthsAnglesToBoxVectors([a * ANGSTROM_TO_NM, b * ANGSTROM_TO_NM, c * ANGSTROM_TO_NM], [alpha, beta, gamma]);
  } catch (e) {
    throw new Error(`${where}: CRYST1: ${(e as Error).message}`);
  }
}

/** Bonds named by the CONECT records on lines `which` (1-based), each unordered pair once. */
function conectBonds(
  lines: string[],
  which: number[],
  serials: Map<string, number>,
  at: (n: number) => string,
): [number, number][] {
  const seen = new Set<string>();
  const bonds: [number, number][] = [];
  for (const n of which) {
    const line = lines[n - 1];
    const resolve = (start: number) => {
      const text = line.slice(start, start + 5).trim();
      const i = serials.get(serialKey(text));
      const cols = `columns ${start + 1}-${start + 5}`;
      if (i === undefined) {
        throw new Error(`${at(n)}: CONECT names atom serial '${text}' (${cols}) but no atom of the first model has it`);
      }
      if (i === -1) {
        throw new Error(
          `${at(n)}: CONECT names atom serial '${text}' (${cols}), which several atoms share (serials wrap after 99999), so the bond is ambiguous`,
        );
      }
      return i;
    };
    if (line.slice(6, 11).trim() === '') throw new Error(`${at(n)}: CONECT record names no atom serial in columns 7-11`);
    const i = resolve(6);
    for (const start of [11, 16, 21, 26]) {
      if (line.slice(start, start + 5).trim() === '') continue;
      const j = resolve(start);
      if (j === i) throw new Error(`${at(n)}: CONECT bonds atom serial '${line.slice(6, 11).trim()}' to itself`);
      const key = i < j ? `${i} ${j}` : `${j} ${i}`;
      if (seen.has(key)) continue;
      seen.add(key);
      bonds.push(i < j ? [i, j] : [j, i]);
    }
  }
  return bonds;
}

/**
 * Write `traj` as a PDB file, atomically (see {@link formatPdb}).
 * @throws Error naming `path` and the atom, frame or field that PDB cannot hold.
 */
export function writePdb(path: string, traj: Trajectory): void {
  writeFileAtomic(path, encodePdb(traj, path));
}

/**
 * The text of a PDB file holding `traj`: positions (nm) written in Å with 3 decimals (fewer only
 * for coordinates beyond −999.999…9999.999 Å), one MODEL per frame when there are several, a
 * CRYST1 from the box (once when every frame has the same cell at the file's precision,
 * otherwise before each MODEL), a TER after each chain, and CONECT records for every bond in
 * both directions. Elements go to columns 77-78 ("VS" for ""); masses are not stored.
 * @throws Error when the trajectory has no topology or no frames, a coordinate is NaN or
 *   infinite, or a name, residue name, chain or element is too long for its columns.
 */
export function formatPdb(traj: Trajectory): string {
  return encodePdb(traj, 'formatPdb');
}

function encodePdb(traj: Trajectory, where: string): string {
  const top = traj.topology;
  if (!top) throw new Error(`${where}: the trajectory has no topology; PDB needs atom names and residues (read a DCD with { top })`);
  const { nFrames, nAtoms, positions, box } = traj;
  if (nFrames === 0) throw new Error(`${where}: the trajectory has no frames; a PDB file needs at least one`);

  // Columns 13-27 of each atom and its serial, fixed across frames; a TER after each chain.
  const middle: string[] = [];
  const serial: number[] = [];
  const ter = new Map<number, string>();
  let next = 1;
  top.atoms.forEach((a, i) => {
    const what = `${where}: atom ${i} ('${a.name}')`;
    if (!/^\S{1,4}$/.test(a.name)) {
      throw new Error(`${what}: the name must be 1-4 characters without spaces to fit columns 13-16`);
    }
    if (!/^\S{0,4}$/.test(a.residue)) {
      throw new Error(`${what}: residue name '${a.residue}' must be at most 4 characters without spaces (columns 18-21)`);
    }
    const chain = a.chain ?? '';
    if (!/^\S?$/.test(chain)) throw new Error(`${what}: chain '${chain}' must be one character (column 22)`);
    if (!/^[A-Za-z]{0,2}$/.test(a.element)) {
      throw new Error(`${what}: element '${a.element}' must be a symbol of at most 2 letters (columns 77-78)`);
    }
    if (!Number.isInteger(a.resid)) throw new Error(`${what}: residue number ${a.resid} must be an integer`);
    const resid = a.resid >= -999 && a.resid < RESID_WRAP ? a.resid : ((a.resid % RESID_WRAP) + RESID_WRAP) % RESID_WRAP;
    // Names shorter than 4 start in column 14 unless the element has two letters, so that the
    // element symbol stays right-aligned in columns 13-14 as the PDB convention expects.
    const name = a.name.length < 4 && /^[A-Za-z]/.test(a.name) && a.element.length < 2 ? ` ${a.name}` : a.name;
    const res = a.residue.length === 4 ? a.residue : `${a.residue.padStart(3)} `;
    const resSeq = String(resid).padStart(4);
    middle.push(`${name.padEnd(4)} ${res}${chain || ' '}${resSeq}    `);
    serial.push(next++);
    const nextAtom = top.atoms[i + 1];
    if (nextAtom === undefined || (nextAtom.chain ?? '') !== chain) {
      ter.set(i, `TER   ${String(next++ % SERIAL_WRAP).padStart(5)}      ${res}${chain || ' '}${resSeq}`);
    }
  });
  const element = top.atoms.map((a) => (a.element === '' ? NO_ELEMENT : a.element.toUpperCase()).padStart(2));

  const cryst = box ? Array.from({ length: nFrames }, (_, f) => cryst1(box, f, where)) : undefined;
  const cellOnce = cryst !== undefined && cryst.every((c) => c === cryst[0]);
  const out: string[] = [];
  if (cellOnce) out.push(cryst![0]);
  for (let f = 0; f < nFrames; f++) {
    if (cryst && !cellOnce) out.push(cryst[f]);
    if (nFrames > 1) out.push(`MODEL     ${String(f + 1).padStart(4)}`);
    for (let i = 0; i < nAtoms; i++) {
      const o = (f * nAtoms + i) * 3;
      let xyz = '';
      for (let k = 0; k < 3; k++) {
        const v = positions[o + k] / ANGSTROM_TO_NM;
        const field = coordinate(v);
        if (field === undefined) {
          const why = Number.isFinite(v) ? `${v} Å, too large for the 8 columns PDB gives it` : `${v}; PDB needs finite coordinates`;
          throw new Error(`${where}: frame ${f}, atom ${i} ('${top.atoms[i].name}'): ${'xyz'[k]} coordinate is ${why}`);
        }
        xyz += field;
      }
      out.push(`ATOM  ${String(serial[i] % SERIAL_WRAP).padStart(5)} ${middle[i]}${xyz}  1.00  0.00          ${element[i]}  `);
      const t = ter.get(i);
      if (t !== undefined) out.push(t);
    }
    if (nFrames > 1) out.push('ENDMDL');
  }
  out.push(...conectRecords(top.bonds, serial, where));
  out.push('END');
  return `${out.join('\n')}\n`;
}

/** A coordinate (Å) in 8 columns: 3 decimals, fewer only when the value needs the room; undefined when it cannot fit. */
function coordinate(v: number): string | undefined {
  if (!Number.isFinite(v)) return undefined;
  for (let d = 3; d >= 0; d--) {
    const s = v.toFixed(d);
    if (s.length <= 8) return s.padStart(8);
  }
  return undefined;
}

/** CRYST1 record of frame `f` of `box` ([frames, 3, 3] nm). */
function cryst1(box: Float32Array, f: number, where: string): string {
  let cell;
  try {
    cell = boxVectorsToLengthsAngles(box, 9 * f);
  } catch (e) {
    throw new Error(`${where}: frame ${f}: ${(e as Error).message}`);
  }
  const lengths = cell.lengths.map((l) => (l / ANGSTROM_TO_NM).toFixed(3).padStart(9));
  if (lengths.some((s) => s.length > 9)) throw new Error(`${where}: frame ${f}: box length too large for CRYST1 (at most 99999.999 Å)`);
  const angles = cell.angles.map((a) => a.toFixed(2).padStart(7));
  return `CRYST1${lengths.join('')}${angles.join('')} P 1           1 `;
}

/** CONECT records listing each bonded atom's partners (ascending, 4 to a record). */
function conectRecords(bonds: [number, number][], serial: number[], where: string): string[] {
  const partners = new Map<number, Set<number>>();
  const link = (i: number, j: number) => {
    if (!partners.has(i)) partners.set(i, new Set());
    partners.get(i)!.add(j);
  };
  for (const [i, j] of bonds) {
    for (const k of [i, j]) {
      if (serial[k] >= SERIAL_WRAP) {
        throw new Error(
          `${where}: bond (${i}, ${j}) needs atom ${k}, whose serial ${serial[k]} does not fit CONECT's 5 columns; ` +
            'PDB cannot store bonds past serial 99999: write the trajectory without bonds or use another format',
        );
      }
    }
    link(i, j);
    link(j, i);
  }
  const s5 = (i: number) => String(serial[i]).padStart(5);
  const out: string[] = [];
  for (const i of [...partners.keys()].sort((p, q) => p - q)) {
    const js = [...partners.get(i)!].sort((p, q) => p - q);
    for (let k = 0; k < js.length; k += 4) out.push(`CONECT${s5(i)}${js.slice(k, k + 4).map(s5).join('')}`);
  }
  return out;
}
