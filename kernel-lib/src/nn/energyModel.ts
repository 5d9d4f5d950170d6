/**
 * CG energy models as a sum of named terms (priors + networks), with forces by autodiff — in
 * the spirit of mlcg's `SumOut` (the total is a plain sum of named terms) and `GradientsOut`
 * (forces are a wrapper around any energy): U(R) = Σ_t U_t(R), F = −∂U/∂R.
 *
 * `cgnet` and `cgschnet` assemble Husic et al.'s two models from the shared parts: CGnet =
 * priors + (geometry features → z-score → MLP 5 × 160 tanh → scalar), CGSchNet = priors +
 * SchNet on the bead coordinates. Models save to and load from the versioned parameter file of
 * params.ts; `asPotential` hands a model to the MD integrators as a flat-array Potential.
 *
 * Shapes: bead positions [batch, beads, 3] nm; energies [batch] kJ/mol; forces [batch, beads,
 * 3] kJ/mol/nm.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients.js';
import { GeometryFeatures, ZScore } from '../cg/features.js';
import { featureHostForces, type FeatureHostEnergy } from '../cg/geometryOp.js';
import { priorFromConfig, type Prior } from '../cg/priors.js';
import type { EnergyTerm, HostForces } from '../cg/energyTerm.js';
import { Random } from '../util/random.js';
import type { Potential } from '../physics/potential.js';
import { checkActivation, MLP, type Activation } from './mlp.js';
import { writeFileAtomic } from '../io/atomic.js';
import { decodeParams, encodeParams, loadParams, type JsonObject, type StoredTensor } from './params.js';
import { featureNetHostEnergy } from './mlpHost.js';
import { SchNet, type SchNetOptions } from './schnet.js';

export type { EnergyTerm, HostForces } from '../cg/energyTerm.js';

/** Options of {@link FeatureNet}. */
export interface FeatureNetOptions {
  /** Hidden layer widths; default five of 160 (CGnet). */
  hidden?: readonly number[];
  /** Default 'tanh'. */
  activation?: Activation;
  /** Seed of the initial weights; default 1. */
  seed?: number;
}

/** CGnet's network term: geometry features → z-score → MLP → scalar energy (kJ/mol). */
export class FeatureNet implements EnergyTerm {
  readonly kind = 'feature-mlp';
  readonly mlp: MLP;
  readonly hidden: readonly number[];
  readonly activation: Activation;

  constructor(readonly features: GeometryFeatures, readonly zscore: ZScore, opts: FeatureNetOptions = {}) {
    if (zscore.size !== features.size) throw new Error(`FeatureNet: the z-score has ${zscore.size} features but the geometry has ${features.size}: fit it on these features`);
    this.hidden = [...(opts.hidden ?? [160, 160, 160, 160, 160])];
    this.activation = checkActivation(opts.activation ?? 'tanh', 'FeatureNet');
    this.mlp = new MLP([features.size, ...this.hidden, 1], { activation: this.activation, rng: new Random(opts.seed ?? 1) });
  }

  static fromConfig(c: JsonObject): FeatureNet {
    const f = c.features as JsonObject;
    const z = c.zscore as JsonObject;
    const features = new GeometryFeatures(f.nBeads as number, f as never);
    return new FeatureNet(features, new ZScore(Float64Array.from(z.mean as number[]), Float64Array.from(z.std as number[])), {
      hidden: c.hidden as number[],
      activation: c.activation as Activation,
    });
  }

  energy(x: tf.Tensor3D): tf.Tensor1D {
    return tf.tidy(() => tf.reshape(this.mlp.apply(this.zscore.apply(this.features.compute(x))), [x.shape[0]]) as tf.Tensor1D);
  }

  /** The network as an energy of its features on the host (mlpHost.ts), where hostBuffer.ts has a buffer. */
  hostFeatureEnergy(): FeatureHostEnergy | undefined {
    const fn = featureNetHostEnergy(this.mlp, this.zscore);
    const g = this.features;
    return fn && { tuples: { pairs: g.pairs, angles: g.angles, dihedrals: g.dihedrals }, fn };
  }

  parameters(): Record<string, tf.Variable> {
    return this.mlp.parameters();
  }

  config(): JsonObject {
    const g = this.features;
    return {
      features: { nBeads: g.nBeads, pairs: g.pairs.map((t) => [...t]), angles: g.angles.map((t) => [...t]), dihedrals: g.dihedrals.map((t) => [...t]) },
      zscore: { mean: [...this.zscore.mean], std: [...this.zscore.std] },
      hidden: [...this.hidden],
      activation: this.activation,
    };
  }
}

/** Rebuilds a term of one kind from its config (weights are assigned afterwards). */
export type TermFromConfig = (config: JsonObject) => EnergyTerm;

const TERM_KINDS = new Map<string, TermFromConfig>([
  ['feature-mlp', FeatureNet.fromConfig],
  ['schnet', SchNet.fromConfig],
]);

/**
 * Teach `EnergyModel.load` a new kind of term (methods that define their own terms call this
 * once at import). Priors are known already.
 */
export function registerEnergyTerm(kind: string, fromConfig: TermFromConfig): void {
  TERM_KINDS.set(kind, fromConfig);
}

function termFromConfig(kind: string, config: JsonObject, where: string): EnergyTerm {
  const make = TERM_KINDS.get(kind);
  try {
    const term = make ? make(config) : priorFromConfig(kind, config);
    if (term) return term;
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  throw new Error(`${where}: unknown term kind '${kind}': expected harmonic-bonds, harmonic-angles, repulsion, fourier-dihedrals, fourier-dihedral-pairs or ${[...TERM_KINDS.keys()].join(', ')}`);
}

/** Energies and forces of a batch. */
export interface EnergyAndForces {
  /** [batch] kJ/mol. */
  energy: tf.Tensor1D;
  /** [batch, beads, 3] kJ/mol/nm, −∂U/∂R. */
  forces: tf.Tensor3D;
}

/** The `config.model` tag of a saved energy model. */
export const ENERGY_MODEL_TAG = 'cglab-energy-model';

/** A sum of named energy terms over N beads, with forces by autodiff. */
export class EnergyModel {
  readonly terms: Readonly<Record<string, EnergyTerm>>;

  /**
   * @param nBeads beads the model reads.
   * @param terms named terms, e.g. `{ bonds, angles, repulsion, net }`; names may not contain '/'.
   */
  constructor(readonly nBeads: number, terms: Record<string, EnergyTerm>) {
    if (!Number.isInteger(nBeads) || nBeads < 1) throw new Error(`EnergyModel: nBeads must be a positive integer, got ${nBeads}`);
    const names = Object.keys(terms);
    if (names.length === 0) throw new Error('EnergyModel: expected at least one energy term, got none');
    for (const n of names) if (!n || n.includes('/')) throw new Error(`EnergyModel: term name '${n}' must be non-empty and contain no '/'`);
    this.terms = { ...terms };
  }

  private check(x: tf.Tensor, where: string): void {
    if (x.rank !== 3 || x.shape[1] !== this.nBeads || x.shape[2] !== 3) {
      throw new Error(`EnergyModel.${where}: expected bead positions of shape [batch, ${this.nBeads}, 3] (nm), got [${x.shape}]`);
    }
  }

  /** Each term's energies, [batch] kJ/mol per name. */
  termEnergies(x: tf.Tensor3D): Record<string, tf.Tensor1D> {
    this.check(x, 'termEnergies');
    return Object.fromEntries(Object.entries(this.terms).map(([n, t]) => [n, t.energy(x)]));
  }

  /** Total energy U(R), [batch] kJ/mol. */
  energy(x: tf.Tensor3D): tf.Tensor1D {
    this.check(x, 'energy');
    return tf.tidy(() => {
      const parts = Object.values(this.terms).map((t) => t.energy(x));
      return (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Tensor1D;
    });
  }

  /** U and F = −∂U/∂R in one pass (frames are independent, so ∂ΣU/∂R_f = ∂U_f/∂R_f). */
  energyAndForces(x: tf.Tensor3D): EnergyAndForces {
    this.check(x, 'energyAndForces');
    return tf.tidy(() => {
      const { value, grad } = tf.valueAndGrad((r: tf.Tensor) => this.energy(r as tf.Tensor3D))(x);
      return { energy: value as tf.Tensor1D, forces: tf.neg(grad) as tf.Tensor3D };
    });
  }

  /** F = −∂U/∂R, [batch, beads, 3] kJ/mol/nm; differentiable in the parameters. */
  forces(x: tf.Tensor3D): tf.Tensor3D {
    this.check(x, 'forces');
    return tf.tidy(() => tf.neg(tf.grad((r: tf.Tensor) => this.energy(r as tf.Tensor3D))(x)) as tf.Tensor3D);
  }

  /**
   * The force-matching loss: mean over frames, beads and x, y, z of (F_θ(R) − f_ref)²,
   * (kJ/mol/nm)². Its gradient in the parameters (`tf.variableGrads`, or an optimizer's
   * `minimize(() => model.forceMatchingLoss(x, f), false, model.variables)`) is a second
   * derivative of U, which cglab's own gradients get right.
   * @param x bead positions [batch, beads, 3] nm. @param fRef mapped forces, same shape, kJ/mol/nm.
   */
  forceMatchingLoss(x: tf.Tensor3D, fRef: tf.Tensor3D): tf.Scalar {
    if (fRef.shape.join() !== x.shape.join()) throw new Error(`forceMatchingLoss: reference forces have shape [${fRef.shape}] but positions [${x.shape}]: they must be the same frames and beads`);
    return tf.tidy(() => tf.mean(tf.squaredDifference(this.forces(x), fRef)) as tf.Scalar);
  }

  /** All trainable variables by '<term>/<name>'. */
  parameters(): Record<string, tf.Variable> {
    return Object.fromEntries(Object.entries(this.terms).flatMap(([t, term]) => Object.entries(term.parameters()).map(([n, v]) => [`${t}/${n}`, v])));
  }

  /** All trainable variables, e.g. for an optimizer's var list. */
  get variables(): tf.Variable[] {
    return Object.values(this.parameters());
  }

  /** Release the variables' memory; the model is unusable afterwards. */
  dispose(): void {
    for (const v of this.variables) v.dispose();
  }

  /**
   * This model as a flat-array Potential for md/ (batched replicas): float64 positions in,
   * float64 energies and forces out — by tfjs in float32, except for the terms with a host
   * evaluator ({@link EnergyTerm.hostFeatureEnergy}, {@link EnergyTerm.hostForces}: the priors,
   * in float64, and the networks where OpenBLAS is available). It reads the parameters as they
   * are when it is made: make another after changing them.
   * @param o onHost: false evaluates every term by tfjs (to compare the two; default true).
   */
  asPotential(name = 'cg energy model', o: { onHost?: boolean } = {}): Potential {
    const n = this.nBeads;
    const host: HostForces[] = [];
    const ofFeatures: FeatureHostEnergy[] = [];
    const rest: Record<string, EnergyTerm> = {};
    for (const [key, term] of Object.entries(this.terms)) {
      const e = o.onHost === false ? undefined : term.hostFeatureEnergy?.();
      const h = o.onHost === false || e ? undefined : term.hostForces?.();
      if (e) ofFeatures.push(e);
      else if (h) host.push(h);
      else rest[key] = term;
    }
    if (ofFeatures.length > 0) host.push(featureHostForces(ofFeatures));
    const byTfjs = Object.keys(rest).length > 0 ? new EnergyModel(n, rest) : undefined;
    return {
      name,
      nParticles: n,
      dim: 3,
      evaluate: (x, batch, forces, energies) => {
        if (x.length !== batch * n * 3) throw new Error(`${name}: ${x.length} coordinates are not ${batch} configurations of ${n} beads × 3`);
        if (byTfjs) {
          const [e, f] = tf.tidy(() => {
            const r = byTfjs.energyAndForces(tf.tensor3d(Float32Array.from(x), [batch, n, 3]));
            return [r.energy.dataSync(), r.forces.dataSync()];
          });
          energies.set(e);
          forces.set(f);
        } else {
          energies.fill(0, 0, batch);
          forces.fill(0, 0, x.length);
        }
        for (const h of host) h.add(x, batch, forces, energies);
      },
    };
  }

  /** The model as a parameter file's text (params.ts format; config.model = 'cglab-energy-model'). */
  encode(): string {
    const tensors = new Map<string, StoredTensor>();
    for (const [name, v] of Object.entries(this.parameters())) tensors.set(name, { shape: [...v.shape], data: v.dataSync() as Float32Array });
    const config: JsonObject = {
      model: ENERGY_MODEL_TAG,
      nBeads: this.nBeads,
      units: { length: 'nm', energy: 'kJ/mol' },
      terms: Object.entries(this.terms).map(([name, t]) => ({ name, kind: t.kind, config: t.config() })),
    };
    return encodeParams(config, tensors);
  }

  /** Save to `path` (atomically). */
  save(path: string): void {
    writeFileAtomic(path, this.encode());
  }

  /**
   * Rebuild a model from a parameter file's text.
   * @throws Error naming the source and the term for: a file that is not an energy model, an
   *   unknown term kind, a bad term config, or parameters missing, extra or of the wrong shape.
   */
  static decode(text: string, source = 'energy model'): EnergyModel {
    return fromParams(decodeParams(text, source), source);
  }

  /** Load a model saved with `save`. */
  static load(path: string): EnergyModel {
    return fromParams(loadParams(path), path);
  }
}

function fromParams(p: { config: JsonObject; tensors: Map<string, StoredTensor> }, source: string): EnergyModel {
  const c = p.config;
  if (c.model !== ENERGY_MODEL_TAG) throw new Error(`${source}: config.model is ${JSON.stringify(c.model)}, expected "${ENERGY_MODEL_TAG}": this parameter file holds something else`);
  if (!Array.isArray(c.terms)) throw new Error(`${source}: config.terms must be a list of {name, kind, config}`);
  const terms: Record<string, EnergyTerm> = {};
  for (const entry of c.terms as JsonObject[]) {
    const where = `${source}: term '${entry.name}' (${entry.kind})`;
    terms[entry.name as string] = termFromConfig(entry.kind as string, entry.config as JsonObject, where);
  }
  const model = new EnergyModel(c.nBeads as number, terms);
  const params = model.parameters();
  const missing = Object.keys(params).filter((k) => !p.tensors.has(k));
  const extra = [...p.tensors.keys()].filter((k) => !(k in params));
  if (missing.length || extra.length) {
    model.dispose();
    throw new Error(`${source}: the tensors do not fit the model's terms (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'})`);
  }
  for (const [name, v] of Object.entries(params)) {
    const t = p.tensors.get(name) as StoredTensor;
    if (t.shape.join() !== v.shape.join()) {
      model.dispose();
      throw new Error(`${source}: tensor '${name}' has shape [${t.shape}], the model expects [${v.shape}]`);
    }
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
  return model;
}

function checkPriorNames(priors: Record<string, Prior> | undefined): void {
  if (priors && 'net' in priors) throw new Error("the prior named 'net' would collide with the network term: rename it");
}

/** Options of {@link cgnet}. */
export interface CGnetOptions extends FeatureNetOptions {
  /** Input features, e.g. `new GeometryFeatures(n, chainFeatures(n))`. */
  features: GeometryFeatures;
  /** Their z-score, fitted on the training data (`features.fitZScore(R)`). */
  zscore: ZScore;
  /** Named priors, e.g. from `fitChainPriors`. */
  priors?: Record<string, Prior>;
}

/** CGnet (Husic et al. 2020): priors + FeatureNet, the network under the name 'net'. */
export function cgnet(opts: CGnetOptions): EnergyModel {
  checkPriorNames(opts.priors);
  return new EnergyModel(opts.features.nBeads, { ...opts.priors, net: new FeatureNet(opts.features, opts.zscore, opts) });
}

/** Options of {@link cgschnet}. */
export interface CGSchNetOptions extends SchNetOptions {
  priors?: Record<string, Prior>;
}

/** CGSchNet (Husic et al. 2020): priors + SchNet on the bead coordinates, the network named 'net'. */
export function cgschnet(opts: CGSchNetOptions): EnergyModel {
  checkPriorNames(opts.priors);
  return new EnergyModel(opts.beadTypes.length, { ...opts.priors, net: new SchNet(opts) });
}
