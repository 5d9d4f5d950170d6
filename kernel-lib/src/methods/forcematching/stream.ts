/**
 * Force-matching data from a set larger than memory (io/frameSet.ts): the all-atom frames are
 * read in blocks and mapped on the fly, so that memory stays bounded whatever the frame count.
 *
 * One pass over every frame before training gathers what needs all of them or a fixed part:
 * - the optimal force map's covariance (cg/forceMap.ts ForceCovariance), from every frame, as
 *   the in-memory path fits it;
 * - the prior frames: `priorFrames` frames drawn at random from the set (not strided: a stride
 *   can alias with periodic structure in the set, such as repeated runs), mapped, on which the
 *   priors and CGnet's z-score are fitted and from which the model's start frames are kept
 *   (bond, angle and dihedral statistics of 50 000 frames differ from those of all frames by
 *   their sampling noise alone, far below the priors' own model error);
 * - the validation frames: a random 10 % of the set, at most `validationFrames`, held mapped.
 *
 * Shuffling. The other frames are split into runs of `chunk` consecutive frames. Each epoch
 * visits the runs in a random order, `window` frames' worth of runs at a time: those runs are
 * read, mapped and shuffled together, and batches are cut from them (a batch left incomplete at
 * the end of a window is completed from the next). A batch thus mixes frames from runs spread
 * over the whole set, and no frame is seen twice in an epoch.
 */
import { ForceCovariance, projectForces } from '../../cg/forceMap.js';
import { FrameSelection, lowerBound, randomFrames, type FrameSet } from '../../io/frameSet.js';
import { permutation } from '../../nn/epochLoop.js';
import { concatFloat32 } from '../../util/arrays.js';
import type { JsonObject } from '../../nn/params.js';
import { Random } from '../../util/random.js';
import { forceMapPlan, mapDataset, type CGData, type MapDatasetOptions } from './data.js';
import type { MapSpec } from './mapping.js';
import type { ForceData, StreamedForceData } from './train.js';

/** Sizes of a streamed set; each has a default. */
export interface StreamOptions {
  /** Consecutive frames read and shuffled as one run; default 4096. */
  chunk?: number;
  /** Frames held (mapped) at a time for shuffling; default 262 144 (≈ 31 MB for 5 beads). */
  window?: number;
  /** Validation frames, at most (10 % of the set up to this many); default 20 000. */
  validationFrames?: number;
  /** Frames, drawn at random, that the priors and z-score are fitted on; default 50 000. */
  priorFrames?: number;
  /** Seed of the validation frames; default 1. */
  seed?: number;
  /** Called after each block of the statistics pass, with the frames read so far. */
  onRead?: (frames: number, total: number) => void;
}

/** A streamed set ready for force matching. */
export interface StreamedCGData {
  /**
   * The mapping, fitted as {@link mapDataset} fits it (force map from every frame); its
   * `trajectory` holds the prior frames, mapped.
   */
  cg: CGData;
  /** The training frames, read a window at a time, and the validation frames in memory. */
  data: StreamedForceData;
}

/**
 * Map a frame set for streamed force matching (see the module comment); reads every frame once.
 * @throws Error as {@link mapDataset} does (no topology or forces, a map that does not fit, an
 *   unknown temperature), and for sizes that are not positive integers.
 */
export async function streamForceData(set: FrameSet, spec: MapSpec, opts: Omit<MapDatasetOptions, 'maxFrames' | 'forceCovariance'> & StreamOptions = {}): Promise<StreamedCGData> {
  const src = opts.source ?? 'data set';
  const sizes = { chunk: opts.chunk ?? 4096, window: opts.window ?? 2 ** 18, validationFrames: opts.validationFrames ?? 20_000, priorFrames: opts.priorFrames ?? 50_000 };
  for (const [k, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`streamForceData: ${k} is ${v}, expected a positive integer`);
  }
  if (!set.topology) throw new Error(`${src}: has no topology, which the map needs to find its atoms: give the PDB of the same atoms (--top file.pdb)`);
  if (!set.hasForces) throw new Error(`${src}: has no forces in every frame, but force matching fits the CG forces to mapped atomistic forces`);
  const n = set.nFrames;
  const per = 3 * set.nAtoms;
  const nVal = Math.min(sizes.validationFrames, Math.round(0.1 * n));
  if (nVal < 1 || n - nVal < 1) throw new Error(`${src}: ${n} frames cannot be split into training and validation frames; give more frames`);
  const validation = new FrameSelection(set, randomFrames(n, nVal, new Random(opts.seed ?? 1)));
  const prior = new FrameSelection(set, randomFrames(n, Math.min(n, sizes.priorFrames), new Random((opts.seed ?? 1) + 1)));
  const { kind, constraints } = forceMapPlan(set.topology, set.provenance, opts);
  const covariance = kind === 'optimal' ? new ForceCovariance(set.nAtoms, constraints) : undefined;
  let read = 0;
  for await (const block of set.blocks(0, n, sizes.chunk)) {
    covariance?.add(block.forces as Float32Array);
    validation.take(block);
    prior.take(block);
    read += block.nFrames;
    opts.onRead?.(read, n);
  }
  const mapOpts = { ...opts, forceCovariance: covariance };
  const cg = mapDataset(prior.trajectory(src), spec, mapOpts);
  const val = mapDataset(validation.trajectory(src), spec, { ...mapOpts, forceMap: kind, source: `${src} (validation frames)` }).trajectory;
  const { map, forceMap } = cg;
  const valFrames = validation.frames;
  const nChunks = Math.ceil(n / sizes.chunk);
  const perWindow = Math.max(1, Math.floor(sizes.window / sizes.chunk));

  /** Runs `runs` read, mapped, validation frames dropped, as one block of training frames. */
  const readWindow = async (runs: number[]): Promise<ForceData> => {
    const xs: Float32Array[] = [];
    const fs: Float32Array[] = [];
    for (const c of runs.sort((a, b) => a - b)) {
      for await (const block of set.blocks(c * sizes.chunk, Math.min(n, (c + 1) * sizes.chunk), sizes.chunk)) {
        const keep: number[] = [];
        let v = lowerBound(valFrames, block.start);
        for (let r = 0; r < block.nFrames; r++) {
          if (v < valFrames.length && valFrames[v] === block.start + r) v++;
          else keep.push(r);
        }
        const pick = (a: Float32Array) => {
          if (keep.length === block.nFrames) return a;
          const out = new Float32Array(keep.length * per);
          keep.forEach((r, k) => out.set(a.subarray(r * per, (r + 1) * per), k * per));
          return out;
        };
        xs.push(map.apply(pick(block.positions)));
        fs.push(projectForces(forceMap, pick(block.forces as Float32Array)));
      }
    }
    return { positions: concatFloat32(xs), forces: concatFloat32(fs) };
  };

  const data: StreamedForceData = {
    nTrain: n - nVal,
    validation: { positions: val.positions, forces: val.forces },
    async *windows(rng: Random) {
      const order = Array.from(permutation(nChunks, rng));
      for (let w = 0; w < nChunks; w += perWindow) yield await readWindow(order.slice(w, w + perWindow));
    },
    fingerprint: { files: set.parts.map((p) => ({ file: p.path, frames: p.frames })), ...sizes, seed: opts.seed ?? 1 } as unknown as JsonObject,
  };
  return { cg: { ...cg, trajectory: { ...cg.trajectory, provenance: { ...cg.trajectory.provenance, cg_source_frames: n } } }, data };
}
