/**
 * What the streaming trajectory readers (TRR, XTC, LAMMPS dumps) have in common: the block of
 * frames they yield, the frame range and chunk options they take, and the summary `cglab info`
 * prints without decoding every frame.
 */
import type { Units } from '../units.js';
import { makeTrajectory, type Trajectory } from './trajectory.js';

/** Consecutive frames of a trajectory file, arrays flat and row-major, in internal units. */
export interface FrameBlock {
  /** Index in the file (0-based) of the block's first frame. */
  start: number;
  nFrames: number;
  nAtoms: number;
  /** [nFrames, nAtoms, 3], nm. */
  positions: Float32Array;
  /** [nFrames, nAtoms, 3], kJ/mol/nm. */
  forces?: Float32Array;
  /** [nFrames, 3, 3] box vectors as rows, nm. */
  box?: Float32Array;
  /** [nFrames], ps. */
  time?: Float32Array;
  /** [nFrames] MD step of each frame (exact integers up to 2^53). */
  step?: Float64Array;
}

/** Which frames to read and how many per block. */
export interface FrameRangeOptions {
  /** First frame (0-based, inclusive); default 0. */
  start?: number;
  /** Frame to stop before (exclusive); default the frame count. */
  stop?: number;
  /**
   * Frames per block of a stream, bounding its memory; default {@link defaultChunk}. Ignored by
   * the whole-file readers.
   */
  chunk?: number;
}

/** Coordinates per block by default: 2^24 float32 values, 64 MiB of positions. */
const DEFAULT_CHUNK_VALUES = 2 ** 24;

/** Frames per block when the caller gives no chunk: ~64 MiB of positions, at least one frame. */
export function defaultChunk(nAtoms: number): number {
  return Math.max(1, Math.floor(DEFAULT_CHUNK_VALUES / Math.max(1, 3 * nAtoms)));
}

/**
 * `opts` checked against a file of `nFrames` frames of `nAtoms` atoms.
 * @throws Error naming `source` when start/stop are not integers with 0 ≤ start ≤ stop ≤
 *   nFrames or chunk is not a positive integer.
 */
export function frameRange(opts: FrameRangeOptions, nFrames: number, nAtoms: number, source: string): { start: number; stop: number; chunk: number } {
  const { start = 0, stop = nFrames, chunk = defaultChunk(nAtoms) } = opts;
  if (!Number.isInteger(start) || !Number.isInteger(stop) || start < 0 || stop < start || stop > nFrames) {
    throw new Error(`${source}: frame range start ${start}, stop ${stop} is not within the file's ${nFrames} frames: expected integers 0 ≤ start ≤ stop ≤ ${nFrames}`);
  }
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`${source}: chunk is ${chunk}, expected a positive integer number of frames`);
  return { start, stop, chunk };
}

/** The blocks of a synchronous reader as an async stream, so that a consumer may await between blocks. */
export async function* asyncBlocks<B>(blocks: Iterable<B>): AsyncGenerator<B, void, undefined> {
  for (const b of blocks) yield b;
}

/** A block holding a whole read as a {@link Trajectory}; extra arrays of the block are kept. */
export function blockTrajectory<B extends FrameBlock>(block: B, source: string, provenance: Record<string, unknown>): Trajectory & Omit<B, 'start'> {
  const { start: _, ...rest } = block;
  return makeTrajectory({ ...rest, provenance }, source) as Trajectory & Omit<B, 'start'>;
}

/** An array as a file stores it: name, on-disk type (numpy-style, or a description) and shape. */
export interface StoredArray {
  name: string;
  dtype: string;
  shape: number[];
}

/** What a trajectory file holds, found from its headers (binary formats) or one pass (text). */
export interface TrajectorySummary {
  /** 'trr', 'xtc' or 'lammps dump'. */
  format: string;
  frames: number;
  atoms: number;
  /** Arrays the file stores, with the number of frames that hold each. */
  arrays: StoredArray[];
  /**
   * 'single' or 'double' for floating-point storage; for XTC the coarsest compression precision
   * of any frame (1/nm: 1000 stores positions to 0.001 nm); null for text.
   */
  precision: 'single' | 'double' | number | null;
  /** Units the file's values are stored in, as the format or the declared LAMMPS style names them. */
  units: Units;
  /** Frame 0's box vectors (nm, rows) and whether any later frame's differ; null without a box. */
  box: { first: Float32Array; varies: boolean } | null;
  /** First, second and last time (ps); null when the frames carry no time. */
  time: { first: number; second: number | null; last: number } | null;
  /** First and last MD step; null for an empty file. */
  steps: { first: number; last: number } | null;
}
