/**
 * The CG auto-encoder of Wang & Gómez-Bombarelli (2019): an encoder that assigns atoms to beads
 * and a linear decoder back to atoms, with the mapping itself learnt.
 *
 * - Encoder: logits W [units × beads]; for each unit (an atom, or a group of atoms that must
 *   share a bead, such as a heavy atom with the hydrogens constrained to it) a Gumbel-softmax
 *   sample over the beads gives the assignment C (soft, or hard with the straight-through
 *   gradient) of its atoms; the bead
 *   positions are R = C̃ x with C̃ = C diag(w) row-normalised, w the atoms' masses (centres of
 *   mass) or ones (centres of geometry).
 * - Decoder: x̂ = D R, D [atoms × beads]; the variational form adds a learnt standard deviation
 *   σ_i per atom, x ~ N(D R, σ_i² I).
 * - Mapped instantaneous force F = C f: the sum of the forces on each bead's atoms, the force map
 *   consistent with C̃.
 *
 * Rigid-body motion. C̃, D and C act on atom indices only, identically on x, y and z, so they
 * commute with rotations: the reconstruction error of a rotated frame is that of the frame, and
 * no alignment is needed. Translations are removed by centring every frame on its centre of
 * mass before it reaches the encoder (cglab does this when it reads the data); bead positions
 * are then centred too, since the rows of C̃ sum to 1.
 *
 * Empty beads. A soft assignment never leaves a bead empty (softmax > 0), and the hard one is
 * `hardAssignment` of the noisy logits, which moves a unit into any bead left without one; a
 * bead's weight sum also gets 1e-6 of the lightest atom's weight added, so even a soft bead
 * whose atoms all went elsewhere to float32 rounding gives a finite position.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hardAssignment, oneHot } from '../../cg/assignment.js';
import { gumbelNoise, gumbelSoftmax, straightThrough } from '../../nn/gumbelSoftmax.js';
import { HALF_LOG_2PI } from '../../nn/gaussianMlp.js';
import { Random } from '../../util/random.js';

/** How bead positions weight their atoms. */
export type BeadWeighting = 'mass' | 'geometry';
/** A decoder without (`linear`) or with (`variational`) a learnt variance. */
export type DecoderKind = 'linear' | 'variational';

/** Options of {@link CgAutoencoder}. */
export interface AutoencoderOptions {
  /** Default 'mass'. */
  weighting?: BeadWeighting;
  /** Default 'linear'. */
  decoder?: DecoderKind;
  /**
   * [atoms] unit of each atom, 0..units−1: atoms of one unit always share a bead. Default: every
   * atom its own unit.
   */
  units?: Int32Array;
  /** Seed of the initial logits and decoder; default 1. */
  seed?: number;
}

/** The losses of one batch; scalars. */
export interface AutoencoderLosses {
  /** Mean over frames and atoms of |x̂_i − x_i|², nm². */
  reconstruction: tf.Scalar;
  /** Mean over frames, beads and x, y, z of F², (kJ/mol/nm)²; zero without forces. */
  force: tf.Scalar;
  /**
   * The reconstruction part of the objective: `reconstruction` (nm²) for the linear decoder, the
   * Gaussian negative log-likelihood per atom (nats) for the variational one.
   */
  fit: tf.Scalar;
}

export class CgAutoencoder {
  /** W [units, beads]. */
  readonly logits: tf.Variable;
  /** [atoms] unit of each atom. */
  readonly units: Int32Array;
  readonly nUnits: number;
  /** D [atoms, beads]. */
  readonly decoder: tf.Variable;
  /** ln σ_i [atoms, 1], nm, of the variational decoder. */
  readonly logStd?: tf.Variable;
  readonly weighting: BeadWeighting;
  readonly decoderKind: DecoderKind;
  /** [1, atoms] atom weights (masses, amu, or ones). */
  private readonly w: tf.Tensor2D;
  private readonly wFloor: number;
  /** [units, atoms] one-hot: which atoms each unit holds. */
  private readonly unitAtoms: tf.Tensor2D;
  /** Every atom is its own unit, in order (C needs no expansion). */
  private readonly oneAtomUnits: boolean;

  /**
   * @param masses [atoms] amu.
   * @throws Error for more beads than atoms, or a mass that is not positive.
   */
  constructor(readonly nBeads: number, readonly masses: Float64Array, opts: AutoencoderOptions = {}) {
    const nAtoms = masses.length;
    if (!Number.isInteger(nBeads) || nBeads < 1) throw new Error(`autograin: beads must be a positive integer, got ${nBeads}`);
    this.units = opts.units ?? Int32Array.from({ length: nAtoms }, (_, i) => i);
    if (this.units.length !== nAtoms) throw new Error(`autograin: units has ${this.units.length} entries, expected one per atom (${nAtoms})`);
    this.nUnits = Math.max(...this.units) + 1;
    const seen = new Set(this.units);
    if (seen.size !== this.nUnits || this.units.some((u) => u < 0)) throw new Error(`autograin: units must number every unit 0..k−1, got ${Array.from(new Set(this.units)).sort((a, b) => a - b).join(', ')}`);
    const nUnits = this.nUnits;
    this.oneAtomUnits = this.units.every((u, i) => u === i);
    if (nBeads > nAtoms) throw new Error(`autograin: ${nBeads} beads from ${nAtoms} atoms: every bead needs an atom, so use at most ${nAtoms} beads`);
    if (nBeads > nUnits) throw new Error(`autograin: ${nBeads} beads from ${nUnits} units (atoms that must share a bead, e.g. a heavy atom with its constrained hydrogens): use at most ${nUnits} beads`);
    masses.forEach((m, i) => {
      if (!(m > 0)) throw new Error(`autograin: atom ${i} has mass ${m}, expected > 0 amu`);
    });
    this.weighting = opts.weighting ?? 'mass';
    this.decoderKind = opts.decoder ?? 'linear';
    if (this.weighting !== 'mass' && this.weighting !== 'geometry') throw new Error(`autograin: weighting is '${this.weighting as string}', expected mass or geometry`);
    if (this.decoderKind !== 'linear' && this.decoderKind !== 'variational') throw new Error(`autograin: decoder is '${this.decoderKind as string}', expected linear or variational`);
    const rng = new Random(opts.seed ?? 1);
    // Near-uniform logits: the first hard samples explore all assignments (N(0, 1) logits commit
    // each atom to its random first bead within a few epochs, measured: worse maps).
    const w0 = new Float32Array(nBeads * nUnits).map(() => 0.01 * rng.normal());
    // D starts near the uniform average of the beads, so x̂ starts near the molecule's centre.
    const d0 = new Float32Array(nAtoms * nBeads).map(() => (1 + 0.1 * rng.normal()) / nBeads);
    this.logits = tf.variable(tf.tensor2d(w0, [nUnits, nBeads]));
    this.unitAtoms = tf.keep(tf.tensor2d(oneHot(this.units, nUnits), [nUnits, nAtoms]));
    this.decoder = tf.variable(tf.tensor2d(d0, [nAtoms, nBeads]));
    if (this.decoderKind === 'variational') this.logStd = tf.variable(tf.fill([nAtoms, 1], Math.log(0.05)));
    const w = this.weighting === 'mass' ? Float32Array.from(masses) : new Float32Array(nAtoms).fill(1);
    this.w = tf.keep(tf.tensor2d(w, [1, nAtoms]));
    this.wFloor = 1e-6 * Math.min(...w);
  }

  get nAtoms(): number {
    return this.masses.length;
  }

  /** The trainable variables by name. */
  parameters(): Record<string, tf.Variable> {
    return { logits: this.logits, decoder: this.decoder, ...(this.logStd ? { logStd: this.logStd } : {}) };
  }

  /** Gumbel noise for one assignment sample, [units × beads]. */
  drawNoise(rng: Random): Float32Array {
    return gumbelNoise(rng, this.nBeads * this.nUnits);
  }

  /** Each atom's bead from each unit's. */
  private atomBeads(unitBead: Int32Array): Int32Array {
    return Int32Array.from(this.units, (u) => unitBead[u]);
  }

  /**
   * The assignment C [beads, atoms] at temperature τ: softmax over beads of (W + g)/τ per unit,
   * or, with `hard`, the one-hot of the repaired argmax of W + g with the soft sample's gradient;
   * every atom takes its unit's column.
   */
  assignment(noise: Float32Array, tau: number, hard: boolean): tf.Tensor2D {
    const g = tf.tensor2d(noise, [this.nUnits, this.nBeads]);
    let c = tf.transpose(gumbelSoftmax(this.logits, g, tau)) as tf.Tensor2D;
    if (hard) {
      // On the host: the logits are small, and a tensor add plus a read-back costs more.
      const w = this.logits.dataSync();
      const scores = Float32Array.from(noise, (v, i) => v + w[i]);
      c = straightThrough(c, tf.tensor2d(oneHot(hardAssignment(scores, this.nBeads, this.nUnits), this.nBeads), [this.nBeads, this.nUnits])) as tf.Tensor2D;
    }
    return this.oneAtomUnits ? c : tf.matMul(c, this.unitAtoms);
  }

  /** C̃: rows of C diag(w), normalised (by their sum plus 1e-6 of the lightest weight, so that a starved bead stays finite). */
  positionMap(c: tf.Tensor2D): tf.Tensor2D {
    const cw = tf.mul(c, this.w);
    return tf.div(cw, tf.add(tf.sum(cw, 1, true), this.wFloor));
  }

  /**
   * Losses of a batch.
   * @param x [frames, atoms, 3] centred positions, nm.
   * @param f [frames, atoms, 3] forces, kJ/mol/nm, or undefined (force term 0).
   * @param c the assignment (see {@link assignment}).
   */
  losses(x: tf.Tensor3D, f: tf.Tensor3D | undefined, c: tf.Tensor2D): AutoencoderLosses {
    const [frames, nAtoms] = x.shape;
    const atomMajor = (t: tf.Tensor3D) => tf.reshape(tf.transpose(t, [1, 0, 2]), [nAtoms, frames * 3]);
    const xa = atomMajor(x);
    const beads = tf.matMul(this.positionMap(c), xa);
    const sq = tf.square(tf.sub(tf.matMul(this.decoder, beads), xa));
    const reconstruction = tf.div(tf.sum(sq), frames * nAtoms) as tf.Scalar;
    const force = f ? (tf.mean(tf.square(tf.matMul(c, atomMajor(f)))) as tf.Scalar) : tf.scalar(0);
    let fit = reconstruction;
    if (this.logStd) {
      const perAtom = tf.add(tf.mul(tf.sum(sq, 1, true), tf.mul(0.5, tf.exp(tf.mul(-2, this.logStd)))), tf.mul(3 * frames, tf.add(this.logStd, HALF_LOG_2PI)));
      fit = tf.div(tf.sum(perAtom), frames * nAtoms) as tf.Scalar;
    }
    return { reconstruction, force, fit };
  }

  /** The learnt hard assignment: each atom's bead from the logits alone (no noise), every bead kept. */
  hardAssignment(): Int32Array {
    return this.atomBeads(hardAssignment(this.logits.dataSync(), this.nBeads, this.nUnits));
  }

  dispose(): void {
    for (const v of Object.values(this.parameters())) v.dispose();
    this.w.dispose();
    this.unitAtoms.dispose();
  }
}
