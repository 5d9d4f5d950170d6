/**
 * CHARMM/NAMD DCD trajectories. A DCD file is a run of Fortran unformatted records, each framed
 * by its byte length before and after (the "record markers"):
 * 1. the header: 'CORD' and 20 int32 control words (0: frame count NSET, 1: ISTART, 2: NSAVC,
 *    3: NSTEP, 8: number of fixed atoms, 9: time step, 10: unit-cell flag, 11: 4D flag,
 *    19: CHARMM version; X-PLOR files have version 0, a float64 time step in words 9-10 and no
 *    unit cell);
 * 2. the title: an int32 line count and 80-character lines;
 * 3. the atom count, int32;
 * 4. per frame: the unit cell when flagged (6 float64), then X, Y and Z (float32 each, Å).
 *
 * The unit cell is stored as [a, cos γ, b, cos β, cos α, c] with lengths in Å: the order CHARMM
 * and NAMD use and what mdtraj (through VMD's DCD plugin) writes and reads. Older NAMD files put
 * the angles in degrees in the same slots; as VMD does, the block is read as degrees when any of
 * the three angle slots lies outside [−1, 1]. cglab writes cosines.
 *
 * Not stored by cglab: time (DCD counts steps of an AKMA time step; frames carry no time) and
 * fixed atoms (files with them are refused on reading).
 */
import { readFileSync } from 'node:fs';
import { ANGSTROM_TO_NM } from '../units.js';
import { writeFileAtomic } from './atomic.js';
import { boxVectorsToLengthsAngles, lengthsAnglesToBoxVectors } from './box.js';
import { readPdb } from './pdb.js';
import { makeTrajectory, type Trajectory } from './trajectory.js';

const MAGIC = 'CORD';
/** Bytes of the header record's payload: the magic and 20 int32 control words. */
const HEADER_BYTES = 84;
const CELL_BYTES = 48;
/** CHARMM version cglab writes into the header (what mdtraj and VMD write). */
const CHARMM_VERSION = 24;

/** Options of {@link readDcd}. */
export interface ReadDcdOptions {
  /** PDB file giving the topology; it must have as many atoms as the DCD. */
  top?: string;
}

/**
 * Read a DCD trajectory: little- or big-endian, with 4- or 8-byte record markers, CHARMM or
 * X-PLOR header, with or without unit cells.
 * @param path the DCD file.
 * @param opts `top`: a PDB file whose topology (atom names, residues, bonds) the frames get.
 * @returns positions [frames, atoms, 3] nm; box [frames, 3, 3] nm when the file has unit cells
 *   (cells whose edges are all zero, in every frame, mean no box); no time.
 * @throws Error naming the file and what is wrong: not a DCD (first record marker), wrong
 *   magic, fixed atoms or 4D coordinates (unsupported), a record marker that disagrees with the
 *   layout, a truncated frame (named by its 0-based index), an atom count that differs from `top`.
 */
export function readDcd(path: string, opts: ReadDcdOptions = {}): Trajectory {
  const parts = decodeDcd(readFileSync(path), path);
  if (opts.top === undefined) return makeTrajectory(parts, path);
  const topology = readPdb(opts.top).topology!;
  if (topology.atoms.length !== parts.nAtoms) {
    throw new Error(`${path} has ${parts.nAtoms} atoms per frame but its topology ${opts.top} has ${topology.atoms.length}; they must describe the same system`);
  }
  return makeTrajectory({ ...parts, topology }, path);
}

function decodeDcd(bytes: Uint8Array, source: string): Omit<Trajectory, 'units'> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.byteLength;
  const { little, marker } = layoutOf(bytes, dv, source);
  const readMarker = (at: number) => (marker === 4 ? dv.getInt32(at, little) : Number(dv.getBigInt64(at, little)));
  let pos = 0;
  /** Check the record at `pos` (its length against `expected` when given) and return where its payload starts. */
  const record = (what: string, expected?: number): number => {
    if (pos + marker > size) throw new Error(`${source}: the file ends at byte ${size}, before ${what}`);
    const len = readMarker(pos);
    if (expected !== undefined && len !== expected) {
      throw new Error(`${source}: ${what}: record marker at byte ${pos} is ${len}, expected ${expected}`);
    }
    if (len < 0 || pos + 2 * marker + len > size) {
      throw new Error(`${source}: ${what} is truncated: its ${len}-byte record at byte ${pos} runs past the end of the file (${size} bytes)`);
    }
    const closing = readMarker(pos + marker + len);
    if (closing !== len) {
      throw new Error(`${source}: ${what}: the record at byte ${pos} opens with length ${len} but closes with ${closing}`);
    }
    const start = pos + marker;
    pos += 2 * marker + len;
    return start;
  };

  const head = record('the header', HEADER_BYTES);
  const control = (k: number) => dv.getInt32(head + 4 + 4 * k, little);
  const charmm = control(19) !== 0;
  if (control(8) > 0) {
    throw new Error(`${source}: the header declares ${control(8)} fixed atoms, which cglab does not support; write every atom in every frame`);
  }
  if (charmm && control(11) !== 0) throw new Error(`${source}: the header flags 4D coordinates, which cglab does not support`);
  const hasCell = charmm && control(10) !== 0;
  record('the title');
  const nAtoms = dv.getInt32(record('the atom count', 4), little);
  if (nAtoms <= 0) throw new Error(`${source}: the atom count is ${nAtoms}; expected a positive number`);

  const coordBytes = 4 * nAtoms;
  const frameBytes = (hasCell ? CELL_BYTES + 2 * marker : 0) + 3 * (coordBytes + 2 * marker);
  const nFrames = Math.floor((size - pos) / frameBytes);
  const rest = (size - pos) % frameBytes;
  if (rest !== 0) {
    throw new Error(`${source}: frame ${nFrames} (0-based) is truncated: a frame takes ${frameBytes} bytes but only ${rest} remain`);
  }
  if (control(0) > nFrames) {
    throw new Error(`${source}: the header promises ${control(0)} frames but the file holds ${nFrames}; frame ${nFrames} (0-based) is missing, so the file is truncated`);
  }

  const positions = new Float32Array(nFrames * nAtoms * 3);
  const cells: number[][] = [];
  for (let f = 0; f < nFrames; f++) {
    if (hasCell) {
      const s = record(`frame ${f}: unit cell`, CELL_BYTES);
      cells.push(Array.from({ length: 6 }, (_, k) => dv.getFloat64(s + 8 * k, little)));
    }
    for (let d = 0; d < 3; d++) {
      const s = record(`frame ${f}: ${'xyz'[d]} coordinates`, coordBytes);
      const o = f * nAtoms * 3 + d;
      for (let i = 0; i < nAtoms; i++) positions[o + 3 * i] = dv.getFloat32(s + 4 * i, little) * ANGSTROM_TO_NM;
    }
  }
  return { nFrames, nAtoms, positions, box: boxOf(cells, source) };
}

/** Byte order and record-marker width, from the header record that every DCD starts with. */
function layoutOf(bytes: Uint8Array, dv: DataView, source: string): { little: boolean; marker: 4 | 8 } {
  const text = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.byteLength < 12) throw new Error(`${source}: ${bytes.byteLength} bytes is too short for a DCD header`);
  // A little-endian 8-byte marker of 84 also reads as a 4-byte one, so only the magic after it decides.
  let magic: string | undefined;
  for (const marker of [4, 8] as const) {
    for (const little of [true, false]) {
      const len = marker === 4 ? dv.getInt32(0, little) : Number(dv.getBigInt64(0, little));
      if (len !== HEADER_BYTES) continue;
      magic = text(marker);
      if (magic === MAGIC) return { little, marker };
    }
  }
  if (magic !== undefined) {
    throw new Error(`${source}: the header starts with ${JSON.stringify(magic)}, expected the magic '${MAGIC}' of a DCD of coordinates`);
  }
  const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`${source}: not a DCD file: it must start with a record marker of ${HEADER_BYTES} (the header's length), found bytes ${hex}`);
}

/** Box vectors [frames, 3, 3] nm from the unit-cell blocks, or undefined when there are none. */
function boxOf(cells: number[][], source: string): Float32Array | undefined {
  const empty = (c: number[]) => c[0] === 0 && c[2] === 0 && c[5] === 0;
  if (cells.length === 0 || cells.every(empty)) return undefined;
  const box = new Float32Array(cells.length * 9);
  cells.forEach(([a, g, b, be, al, c], f) => {
    const cosines = [al, be, g].every((v) => Math.abs(v) <= 1);
    const angles = [al, be, g].map((v) => (cosines ? (Math.acos(v) * 180) / Math.PI : v));
    try {
      box.set(lengthsAnglesToBoxVectors([a * ANGSTROM_TO_NM, b * ANGSTROM_TO_NM, c * ANGSTROM_TO_NM], angles), 9 * f);
    } catch (e) {
      throw new Error(`${source}: frame ${f}: unit cell [${[a, g, b, be, al, c].join(', ')}]: ${(e as Error).message}`);
    }
  });
  return box;
}

/**
 * Write `traj` as a little-endian CHARMM DCD with 4-byte record markers, atomically: positions
 * (nm) as float32 Å, and the box as unit cells [a, cos γ, b, cos β, cos α, c] (Å) when the
 * trajectory has one. Topology and time are not stored (ISTART 0, NSAVC 1, time step 1, as mdtraj
 * writes); keep a PDB beside the DCD for the topology.
 * @throws Error naming `path` when the trajectory has no atoms, a coordinate is NaN or infinite,
 *   or a box is degenerate.
 */
export function writeDcd(path: string, traj: Trajectory): void {
  writeFileAtomic(path, encodeDcd(traj, path));
}

function encodeDcd(traj: Trajectory, where: string): Uint8Array {
  const { nFrames, nAtoms, positions, box } = traj;
  if (nAtoms === 0) throw new Error(`${where}: the trajectory has no atoms; a DCD needs at least one`);
  const title = 'REMARKS written by cglab'.padEnd(80);
  const frameBytes = (box ? CELL_BYTES + 8 : 0) + 3 * (4 * nAtoms + 8);
  const out = new Uint8Array(HEADER_BYTES + 8 + (4 + title.length + 8) + (4 + 8) + nFrames * frameBytes);
  const dv = new DataView(out.buffer);
  let pos = 0;
  const record = (len: number, fill: (start: number) => void) => {
    dv.setInt32(pos, len, true);
    fill(pos + 4);
    dv.setInt32(pos + 4 + len, len, true);
    pos += len + 8;
  };
  const ascii = (at: number, s: string) => {
    for (let k = 0; k < s.length; k++) out[at + k] = s.charCodeAt(k);
  };
  record(HEADER_BYTES, (s) => {
    ascii(s, MAGIC);
    const control = new Array<number>(20).fill(0);
    control[0] = nFrames;
    control[2] = 1;
    control[3] = nFrames;
    control[10] = box ? 1 : 0;
    control[19] = CHARMM_VERSION;
    control.forEach((v, k) => dv.setInt32(s + 4 + 4 * k, v, true));
    dv.setFloat32(s + 4 + 4 * 9, 1, true);
  });
  record(4 + title.length, (s) => {
    dv.setInt32(s, 1, true);
    ascii(s + 4, title);
  });
  record(4, (s) => dv.setInt32(s, nAtoms, true));
  for (let f = 0; f < nFrames; f++) {
    if (box) {
      let cell;
      try {
        cell = boxVectorsToLengthsAngles(box, 9 * f);
      } catch (e) {
        throw new Error(`${where}: frame ${f}: ${(e as Error).message}`);
      }
      const [a, b, c] = cell.lengths.map((l) => l / ANGSTROM_TO_NM);
      const [ca, cb, cg] = cell.cosines;
      record(CELL_BYTES, (s) => [a, cg, b, cb, ca, c].forEach((v, k) => dv.setFloat64(s + 8 * k, v, true)));
    }
    for (let d = 0; d < 3; d++) {
      record(4 * nAtoms, (s) => {
        for (let i = 0; i < nAtoms; i++) {
          const v = positions[(f * nAtoms + i) * 3 + d];
          if (!Number.isFinite(v)) {
            throw new Error(`${where}: frame ${f}, atom ${i}: ${'xyz'[d]} coordinate is ${v}; DCD needs finite coordinates`);
          }
          dv.setFloat32(s + 4 * i, v / ANGSTROM_TO_NM, true);
        }
      });
    }
  }
  return out;
}
