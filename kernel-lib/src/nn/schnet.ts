/**
 * SchNet (Schütt et al., J. Chem. Phys. 148, 241722, 2018) as a CG energy term (CGSchNet,
 * Husic et al. 2020): bead-type embeddings refined by interaction blocks whose continuous-
 * filter convolutions read every bead pair's distance, then a per-bead readout summed into the
 * energy.
 *
 * Interaction block, on bead features h [batch, N, F]:
 *   y = h W_in                                   (dense, no bias)
 *   W_ij = filter(rbf(d_ij)) · fcut(d_ij)        (filter: dense + activation → dense)
 *   m_i = Σ_{j≠i} W_ij ⊙ y_j                      (continuous-filter convolution)
 *   h ← h + dense(act(dense(m)))                 (residual update)
 * Pair sums and gathers are gatherND / scatterND (not `tf.gather`, whose gradient needs a
 * kernel wasm lacks), so forces and the force-matching loss gradient exist on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { allPairs } from '../backend/ops.js';
import { distances } from '../cg/features.js';
import { Random } from '../util/random.js';
import type { EnergyTerm, HostForces } from '../cg/energyTerm.js';
import { checkActivation, Dense, MLP, type Activation } from './mlp.js';
import type { JsonObject } from './params.js';
import { cosineCutoff, GaussianRbf } from './rbf.js';
import { schnetHostForces } from './schnetHost.js';

/** Settings of a SchNet energy term. */
export interface SchNetOptions {
  /** [beads] type of each bead, integers in 0..nTypes−1 (e.g. one type per residue kind). */
  beadTypes: readonly number[];
  /** Number of bead types (embedding rows); default max(beadTypes) + 1. */
  nTypes?: number;
  /** Feature width F; default 128. */
  features?: number;
  /** Interaction blocks; default 3. */
  interactions?: number;
  /** Gaussians in the distance expansion; default 50. */
  rbf?: number;
  /** Cutoff of the filters, nm; default 1.0. */
  cutoff?: number;
  /** Activation; default 'tanh' (CGSchNet's; 'ssp' is SchNet's original). */
  activation?: Activation;
  /** Seed of the initial weights; default 1. */
  seed?: number;
}

/** One interaction block's layers. */
interface Interaction {
  in2f: Dense;
  filter1: Dense;
  filter2: Dense;
  dense1: Dense;
  dense2: Dense;
}

/** The SchNet energy term; see the module comment. Energies in kJ/mol, positions in nm. */
export class SchNet implements EnergyTerm {
  readonly kind = 'schnet';
  readonly beadTypes: readonly number[];
  readonly nTypes: number;
  readonly features: number;
  readonly cutoff: number;
  readonly activation: Activation;
  readonly rbf: GaussianRbf;
  /** [nTypes, F] type embeddings. */
  readonly embedding: tf.Variable;
  readonly interactions: readonly Interaction[];
  /** Per-bead readout F → F/2 → 1. */
  readonly readout: MLP;

  constructor(opts: SchNetOptions) {
    const types = opts.beadTypes;
    if (!Array.isArray(types) || types.length < 2) throw new Error(`SchNet: beadTypes must list the type of each of at least 2 beads, got ${JSON.stringify(types)}`);
    this.nTypes = opts.nTypes ?? Math.max(...types) + 1;
    types.forEach((t, i) => {
      if (!Number.isInteger(t) || t < 0 || t >= this.nTypes) throw new Error(`SchNet: bead ${i} has type ${t}, expected an integer in 0..${this.nTypes - 1}`);
    });
    this.beadTypes = [...types];
    this.features = opts.features ?? 128;
    const nBlocks = opts.interactions ?? 3;
    if (!Number.isInteger(nBlocks) || nBlocks < 1) throw new Error(`SchNet: interactions is ${nBlocks}, expected a positive integer`);
    this.cutoff = opts.cutoff ?? 1.0;
    this.activation = checkActivation(opts.activation ?? 'tanh', 'SchNet');
    this.rbf = new GaussianRbf({ n: opts.rbf ?? 50, cutoff: this.cutoff });
    const rng = new Random(opts.seed ?? 1);
    const f = this.features;
    const act = this.activation;
    this.embedding = tf.variable(tf.tensor2d(Float32Array.from({ length: this.nTypes * f }, () => rng.normal()), [this.nTypes, f]));
    this.interactions = Array.from({ length: nBlocks }, () => ({
      in2f: new Dense(f, f, { bias: false, rng }),
      filter1: new Dense(this.rbf.n, f, { activation: act, rng }),
      filter2: new Dense(f, f, { rng }),
      dense1: new Dense(f, f, { activation: act, rng }),
      dense2: new Dense(f, f, { rng }),
    }));
    this.readout = new MLP([f, Math.max(1, Math.ceil(f / 2)), 1], { activation: act, rng });
  }

  /** Rebuild from `config()` (weights start random; load them with the parameter file). */
  static fromConfig(c: JsonObject): SchNet {
    return new SchNet({
      beadTypes: c.beadTypes as number[],
      nTypes: c.nTypes as number,
      features: c.features as number,
      interactions: c.interactions as number,
      rbf: c.rbf as number,
      cutoff: c.cutoff as number,
      activation: c.activation as Activation,
    });
  }

  get nBeads(): number {
    return this.beadTypes.length;
  }

  /** [batch] kJ/mol from bead positions [batch, nBeads, 3] nm. */
  energy(x: tf.Tensor3D): tf.Tensor1D {
    const n = this.nBeads;
    if (x.rank !== 3 || x.shape[1] !== n || x.shape[2] !== 3) throw new Error(`SchNet: expected bead positions of shape [batch, ${n}, 3], got [${x.shape}]`);
    return tf.tidy(() => {
      const batch = x.shape[0];
      const f = this.features;
      const pairs = allPairs(n);
      // Pair- and bead-major layouts [P, B, ·] and [N, B, F]: picking the beads of pairs and
      // summing pairs onto beads are then one gatherND / scatterND each on the flattened
      // [N, B·F] view (on wasm several times faster than products with 0/1 matrices).
      const d = tf.transpose(distances(x, pairs)); // [P, B]
      const expansion = this.rbf.apply(d); // [P, B, K]
      const fcut = tf.expandDims(cosineCutoff(d, this.cutoff), -1); // [P, B, 1]
      const [first, second] = [0, 1].map((k) => tf.tensor2d(pairs.map((pair) => [pair[k]]), [pairs.length, 1], 'int32'));
      // v [N, b, F] at the beads `of` each pair: [P, b, F].
      const pick = (of: tf.Tensor, v: tf.Tensor) => tf.reshape(tf.gatherND(tf.reshape(v, [n, -1]), of), [pairs.length, v.shape[1] as number, f]);
      // z [P, B, F] summed onto the beads `onto` which each pair goes: [N, B, F].
      const sumOnto = (onto: tf.Tensor, z: tf.Tensor) => tf.reshape(tf.scatterND(onto, tf.reshape(z, [pairs.length, -1]), [n, batch * f]), [n, batch, f]);
      const oneHot = tf.tensor2d(Float32Array.from({ length: n * this.nTypes }, (_, k) => (this.beadTypes[Math.floor(k / this.nTypes)] === k % this.nTypes ? 1 : 0)), [n, this.nTypes]);
      // The embeddings are the same in every frame: [N, 1, F], broadcast against the batch by
      // the first residual update (wasm's tile to [N, B, F] cost more than a whole block).
      let h: tf.Tensor = tf.expandDims(tf.matMul(oneHot, this.embedding), 1);
      for (const block of this.interactions) {
        const y = block.in2f.apply(h);
        const w = tf.mul(block.filter2.apply(block.filter1.apply(expansion)), fcut); // [P, B, F]
        const m = tf.add(sumOnto(first, tf.mul(w, pick(second, y))), sumOnto(second, tf.mul(w, pick(first, y))));
        h = tf.add(h, block.dense2.apply(block.dense1.apply(m)));
      }
      return tf.sum(tf.reshape(this.readout.apply(h), [n, batch]), 0) as tf.Tensor1D;
    });
  }

  /** Energies and forces on the host (schnetHost.ts), where hostBuffer.ts has a buffer. */
  hostForces(): HostForces | undefined {
    return schnetHostForces(this);
  }

  /** Named variables: embedding, interaction<k>/<layer>/weight|bias, readout/layer<k>/…. */
  parameters(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = { embedding: this.embedding };
    this.interactions.forEach((block, k) => {
      for (const [layer, dense] of Object.entries(block)) {
        for (const [name, v] of Object.entries((dense as Dense).parameters())) out[`interaction${k}/${layer}/${name}`] = v;
      }
    });
    for (const [name, v] of Object.entries(this.readout.parameters())) out[`readout/${name}`] = v;
    return out;
  }

  config(): JsonObject {
    return {
      beadTypes: [...this.beadTypes],
      nTypes: this.nTypes,
      features: this.features,
      interactions: this.interactions.length,
      rbf: this.rbf.n,
      cutoff: this.cutoff,
      activation: this.activation,
    };
  }
}
