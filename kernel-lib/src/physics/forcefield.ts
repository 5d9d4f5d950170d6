/**
 * Classical biomolecular force fields as OpenMM builds them (harmonic bonds and angles,
 * periodic torsions, Lennard-Jones + Coulomb with exceptions, optionally OBC2 implicit solvent;
 * no cut-off), read from the parameter files that scripts/export_openmm_system.py writes. The
 * terms live in bonded.ts, nonbonded.ts and obc.ts; this module reads and checks the file and
 * sums the terms into a Potential.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeConstraints, type Constraints } from '../md/constraints.js';
import { makeTopology, type Atom, type Topology } from '../topology/topology.js';
import {
  HarmonicAngles,
  HarmonicBonds,
  PeriodicTorsions,
  type HarmonicAngleParameters,
  type HarmonicBondParameters,
  type PeriodicTorsionParameters,
} from './bonded.js';
import { LennardJonesCoulomb, type NonbondedException, type NonbondedParameters } from './nonbonded.js';
import { GbsaObc, type GbsaObcParameters } from './obc.js';
import type { Potential } from './potential.js';

/** The `format` field of a parameter file. */
export const FORCEFIELD_FORMAT = 'cglab-forcefield';
/** The file version this module reads. */
export const FORCEFIELD_VERSION = 1;
/** The units every version-1 parameter file states, and the only ones it may use. */
export const FORCEFIELD_UNITS = Object.freeze({
  length: 'nm',
  energy: 'kJ/mol',
  mass: 'amu',
  charge: 'e',
  angle: 'rad',
  bondK: 'kJ/mol/nm^2',
  angleK: 'kJ/mol/rad^2',
  surfaceAreaEnergy: 'kJ/mol/nm^2',
});

/** A fixed distance between two atoms (OpenMM: a System constraint). */
export interface ForceFieldConstraint {
  /** The two atoms (0-based indices). */
  atoms: [number, number];
  /** Distance, nm. */
  distance: number;
}

/** Where a parameter file came from. */
export interface ForceFieldSource {
  /** OpenMM force-field files, e.g. ["amber99sbildn.xml", "amber99_obc.xml"]. */
  forcefields: string[];
  /** OpenMM version that built the System. */
  openmm: string;
  /** Everything else the exporter recorded (PDB name, createSystem options, forces skipped). */
  [key: string]: unknown;
}

/** The content of a parameter file, checked (see scripts/export_openmm_system.py for the format). */
export interface ForceFieldParameters {
  format: typeof FORCEFIELD_FORMAT;
  version: typeof FORCEFIELD_VERSION;
  source: ForceFieldSource;
  units: typeof FORCEFIELD_UNITS;
  /** Atoms (names, elements, masses in amu, residues) and chemical bonds. */
  topology: Topology;
  /** Bond terms; constrained X–H bonds have none. */
  bonds: HarmonicBondParameters[];
  angles: HarmonicAngleParameters[];
  /** Proper and improper torsions. */
  torsions: PeriodicTorsionParameters[];
  nonbonded: NonbondedParameters;
  /** Implicit solvent, or null in vacuum. */
  gbsa: GbsaObcParameters | null;
  constraints: ForceFieldConstraint[];
}

/** Energy of each term of one configuration, kJ/mol. */
export interface ForceFieldEnergies {
  /** Harmonic bonds. */
  bond: number;
  /** Harmonic angles. */
  angle: number;
  /** Periodic torsions, proper and improper. */
  torsion: number;
  /** Lennard-Jones + Coulomb, exceptions (scaled 1-4 pairs) included. */
  nonbonded: number;
  /** OBC2 polar solvation + surface-area term; 0 in vacuum. */
  gb: number;
}

/** What every term module offers: energy of one configuration, forces added into `f`. */
interface EnergyTerm {
  accumulate(x: Float64Array, o: number, f: Float64Array): number;
}

/** Systems with a built-in parameter file. */
export type BuiltinForceFieldSystem = 'alanine-dipeptide';
/** Solvent models of the built-in files. */
export type ForceFieldSolvent = 'obc2' | 'vacuum';

/** kernel-lib/data/forcefields file of each built-in system and solvent. */
const BUILTIN: Record<BuiltinForceFieldSystem, Record<ForceFieldSolvent, string>> = {
  'alanine-dipeptide': {
    obc2: 'alanine-dipeptide.amber99sbildn-obc.json',
    vacuum: 'alanine-dipeptide.amber99sbildn-vacuum.json',
  },
};

/** The same with every bond a harmonic term (createSystem(constraints=None)), where exported. */
const FLEXIBLE: Record<BuiltinForceFieldSystem, Partial<Record<ForceFieldSolvent, string>>> = {
  'alanine-dipeptide': { obc2: 'alanine-dipeptide.amber99sbildn-obc-flexible.json' },
};

/**
 * A force field as a Potential on [batch, atoms·3] coordinates (nm), energies in kJ/mol and
 * forces in kJ/mol/nm. It carries what an MD run needs besides the energy: masses, the
 * constraints the parameters assume, and the topology.
 */
export class ClassicalForceField implements Potential {
  readonly name: string;
  readonly nParticles: number;
  readonly dim = 3;
  /** [atoms] masses, amu (OpenMM's, e.g. H 1.007947). */
  readonly masses: Float64Array;
  /** Distance constraints (X–H bonds for files exported with constraints=HBonds). */
  readonly constraints: Constraints;
  readonly topology: Topology;
  readonly parameters: ForceFieldParameters;
  private readonly terms: { [K in keyof ForceFieldEnergies]?: EnergyTerm };
  /** The terms present, in a fixed order, for the evaluation loop. */
  private readonly active: EnergyTerm[];
  private readonly scratch: Float64Array;

  /** @param parameters checked parameters, e.g. from {@link parseForceField}. */
  constructor(parameters: ForceFieldParameters, name = 'forcefield') {
    const n = parameters.topology.atoms.length;
    this.name = name;
    this.nParticles = n;
    this.parameters = parameters;
    this.topology = parameters.topology;
    this.masses = Float64Array.from(parameters.topology.atoms, (a) => a.mass);
    this.constraints = makeConstraints(
      parameters.constraints.map((c) => [c.atoms[0], c.atoms[1], c.distance]),
      n,
    );
    this.terms = {
      bond: new HarmonicBonds(parameters.bonds),
      angle: new HarmonicAngles(parameters.angles),
      torsion: new PeriodicTorsions(parameters.torsions),
      nonbonded: new LennardJonesCoulomb(parameters.nonbonded),
      gb: parameters.gbsa ? new GbsaObc(parameters.gbsa) : undefined,
    };
    this.active = Object.values(this.terms).filter((t): t is EnergyTerm => t !== undefined);
    this.scratch = new Float64Array(3 * n);
  }

  /** See {@link Potential.evaluate}. */
  evaluate(x: Float64Array, batch: number, forces: Float64Array, energies: Float64Array): void {
    const per = 3 * this.nParticles;
    if (x.length < batch * per || forces.length < batch * per || energies.length < batch) {
      throw new Error(
        `${this.name}: evaluate(batch = ${batch}) needs x and forces of at least ${batch * per} values and energies of ${batch}, ` +
          `got ${x.length}, ${forces.length} and ${energies.length}`,
      );
    }
    const { active } = this;
    forces.fill(0, 0, batch * per);
    for (let b = 0; b < batch; b++) {
      const o = b * per;
      let e = 0;
      for (let t = 0; t < active.length; t++) e += active[t].accumulate(x, o, forces);
      energies[b] = e;
    }
  }

  /**
   * Soften Lennard-Jones and Coulomb pairs to r → √(r² + s² σ²) (see `LennardJonesCoulomb.soften`);
   * s = 0 restores the force field.
   * @param s fraction of each pair's σ (≥ 0).
   */
  setSoftening(s: number): void {
    if (!(s >= 0) || !Number.isFinite(s)) throw new Error(`${this.name}: softening must be a fraction ≥ 0 of each pair's σ, got ${s}`);
    (this.terms.nonbonded as LennardJonesCoulomb).soften(s);
  }

  /**
   * Energy of each term for one configuration (for checks against OpenMM's force groups).
   * @param x [atoms·3] coordinates, nm
   */
  energyTerms(x: Float64Array): ForceFieldEnergies {
    if (x.length !== this.scratch.length) {
      throw new Error(`${this.name}: energyTerms needs one configuration of ${this.scratch.length} values (${this.nParticles} atoms × 3), got ${x.length}`);
    }
    const out: ForceFieldEnergies = { bond: 0, angle: 0, torsion: 0, nonbonded: 0, gb: 0 };
    this.scratch.fill(0);
    for (const key of Object.keys(out) as (keyof ForceFieldEnergies)[]) {
      out[key] = this.terms[key]?.accumulate(x, 0, this.scratch) ?? 0;
    }
    return out;
  }
}

/**
 * Read, check and load a parameter file written by scripts/export_openmm_system.py.
 * @throws Error naming the file, the field (e.g. `torsions[3].periodicity`) and what was expected.
 */
export function loadForceField(path: string): ClassicalForceField {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read the force-field parameter file: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not a JSON force-field parameter file: ${(e as Error).message}`);
  }
  return new ClassicalForceField(parseForceField(data, path), basename(path).replace(/\.json$/, ''));
}

/**
 * The force field shipped with cglab for `system`: AMBER ff99SB-ILDN (OpenMM's
 * amber99sbildn.xml) with OBC2 implicit solvent (amber99_obc.xml) or in vacuum, no cut-off,
 * X–H bonds constrained. Atom order and names are those of the system's builder
 * (datasets/alanineDipeptide.ts).
 * @param flexible every bond a harmonic term, no constraints (OpenMM's constraints=None): for
 *   methods that place every atom themselves instead of integrating with constraints.
 */
export function builtinForceField(system: BuiltinForceFieldSystem, solvent: ForceFieldSolvent, flexible = false): ClassicalForceField {
  const files = Object.hasOwn(BUILTIN, system) ? (flexible ? FLEXIBLE : BUILTIN)[system] : undefined;
  if (!files) {
    throw new Error(`builtinForceField: unknown system '${system}'; built-in systems: ${Object.keys(BUILTIN).join(', ')}`);
  }
  const file = Object.hasOwn(files, solvent) ? files[solvent] : undefined;
  if (!file) {
    throw new Error(`builtinForceField: unknown solvent '${solvent}' for ${flexible ? 'flexible ' : ''}${system}; expected one of ${Object.keys(files).join(', ')}`);
  }
  return loadForceField(fileURLToPath(new URL(`../../data/forcefields/${file}`, import.meta.url)));
}

/**
 * Check the parsed JSON of a parameter file and return it typed.
 * @param source names the file in error messages
 * @throws Error `<source>: <field> must be <expected>, got <value>`.
 */
export function parseForceField(data: unknown, source: string): ForceFieldParameters {
  const c = new Checker(source);
  const root = c.object(data, 'the file');
  if (root.format !== FORCEFIELD_FORMAT) c.fail('format', `'${FORCEFIELD_FORMAT}'`, root.format);
  if (root.version !== FORCEFIELD_VERSION) {
    c.fail('version', `${FORCEFIELD_VERSION} (the version this cglab reads; re-export with scripts/export_openmm_system.py)`, root.version);
  }
  const src = c.object(root.source, 'source');
  const sourceOut: ForceFieldSource = {
    ...src,
    forcefields: c.array(src.forcefields, 'source.forcefields').map((f, k) => c.string(f, `source.forcefields[${k}]`)),
    openmm: c.string(src.openmm, 'source.openmm'),
  };
  const units = c.object(root.units, 'units');
  for (const [key, unit] of Object.entries(FORCEFIELD_UNITS)) {
    if (units[key] !== unit) c.fail(`units.${key}`, `'${unit}'`, units[key]);
  }

  const top = c.object(root.topology, 'topology');
  const atomList = c.array(top.atoms, 'topology.atoms');
  if (atomList.length === 0) c.fail('topology.atoms', 'a non-empty array of atoms', atomList);
  const atoms: Atom[] = atomList.map((v, k) => {
    const path = `topology.atoms[${k}]`;
    const a = c.object(v, path);
    return {
      name: c.string(a.name, `${path}.name`),
      element: c.string(a.element, `${path}.element`),
      residue: c.string(a.residue, `${path}.residue`),
      resid: c.integer(a.resid, `${path}.resid`, false),
      chain: a.chain === undefined ? '' : c.string(a.chain, `${path}.chain`),
      mass: c.number(a.mass, `${path}.mass`, 'positive'),
    };
  });
  const n = atoms.length;
  const topBonds = c.array(top.bonds, 'topology.bonds').map((b, k) => c.atoms(b, `topology.bonds[${k}]`, 2, n));

  const bonds = c.array(root.bonds, 'bonds').map((v, k): HarmonicBondParameters => {
    const path = `bonds[${k}]`;
    const b = c.object(v, path);
    return { atoms: c.atoms(b.atoms, `${path}.atoms`, 2, n), length: c.number(b.length, `${path}.length`, 'positive'), k: c.number(b.k, `${path}.k`, 'non-negative') };
  });
  const angles = c.array(root.angles, 'angles').map((v, k): HarmonicAngleParameters => {
    const path = `angles[${k}]`;
    const a = c.object(v, path);
    const angle = c.number(a.angle, `${path}.angle`, 'non-negative');
    if (angle > Math.PI) c.fail(`${path}.angle`, 'an angle in [0, π] rad', angle);
    return { atoms: c.atoms(a.atoms, `${path}.atoms`, 3, n), angle, k: c.number(a.k, `${path}.k`, 'non-negative') };
  });
  const torsions = c.array(root.torsions, 'torsions').map((v, k): PeriodicTorsionParameters => {
    const path = `torsions[${k}]`;
    const t = c.object(v, path);
    return {
      atoms: c.atoms(t.atoms, `${path}.atoms`, 4, n),
      periodicity: c.integer(t.periodicity, `${path}.periodicity`, true),
      phase: c.number(t.phase, `${path}.phase`, 'finite'),
      k: c.number(t.k, `${path}.k`, 'finite'),
    };
  });

  const nb = c.object(root.nonbonded, 'nonbonded');
  const nbParticles = c.array(nb.particles, 'nonbonded.particles', n).map((v, k) => {
    const path = `nonbonded.particles[${k}]`;
    const p = c.object(v, path);
    return { charge: c.number(p.charge, `${path}.charge`, 'finite'), sigma: c.number(p.sigma, `${path}.sigma`, 'non-negative'), epsilon: c.number(p.epsilon, `${path}.epsilon`, 'non-negative') };
  });
  const seen = new Map<number, number>();
  const exceptions = c.array(nb.exceptions, 'nonbonded.exceptions').map((v, k): NonbondedException => {
    const path = `nonbonded.exceptions[${k}]`;
    const e = c.object(v, path);
    const pair = c.atoms(e.atoms, `${path}.atoms`, 2, n);
    const key = Math.min(...pair) * n + Math.max(...pair);
    const first = seen.get(key);
    if (first !== undefined) c.fail(`${path}.atoms`, `a pair not already listed (nonbonded.exceptions[${first}] has it)`, pair);
    seen.set(key, k);
    return { atoms: pair, chargeProd: c.number(e.chargeProd, `${path}.chargeProd`, 'finite'), sigma: c.number(e.sigma, `${path}.sigma`, 'non-negative'), epsilon: c.number(e.epsilon, `${path}.epsilon`, 'non-negative') };
  });

  let gbsa: GbsaObcParameters | null = null;
  if (root.gbsa !== null) {
    const g = c.object(root.gbsa, 'gbsa', 'an object (or null for vacuum)');
    if (g.model !== 'OBC2') c.fail('gbsa.model', "'OBC2' (or gbsa: null for vacuum)", g.model);
    const offset = c.number(g.dielectricOffset, 'gbsa.dielectricOffset', 'non-negative');
    gbsa = {
      model: 'OBC2',
      alpha: c.number(g.alpha, 'gbsa.alpha', 'finite'),
      beta: c.number(g.beta, 'gbsa.beta', 'finite'),
      gamma: c.number(g.gamma, 'gbsa.gamma', 'finite'),
      dielectricOffset: offset,
      probeRadius: c.number(g.probeRadius, 'gbsa.probeRadius', 'non-negative'),
      soluteDielectric: c.number(g.soluteDielectric, 'gbsa.soluteDielectric', 'positive'),
      solventDielectric: c.number(g.solventDielectric, 'gbsa.solventDielectric', 'positive'),
      surfaceAreaEnergy: c.number(g.surfaceAreaEnergy, 'gbsa.surfaceAreaEnergy', 'non-negative'),
      particles: c.array(g.particles, 'gbsa.particles', n).map((v, k) => {
        const path = `gbsa.particles[${k}]`;
        const p = c.object(v, path);
        const charge = c.number(p.charge, `${path}.charge`, 'finite');
        // OpenMM's GB term is only correct with the NonbondedForce's charges.
        if (charge !== nbParticles[k].charge) c.fail(`${path}.charge`, `nonbonded.particles[${k}].charge (${nbParticles[k].charge})`, charge);
        const radius = c.number(p.radius, `${path}.radius`, 'positive');
        if (!(radius > offset)) c.fail(`${path}.radius`, `larger than gbsa.dielectricOffset (${offset} nm)`, radius);
        return { charge, radius, scale: c.number(p.scale, `${path}.scale`, 'non-negative') };
      }),
    };
  }

  const constraints = c.array(root.constraints, 'constraints').map((v, k): ForceFieldConstraint => {
    const path = `constraints[${k}]`;
    const o = c.object(v, path);
    return { atoms: c.atoms(o.atoms, `${path}.atoms`, 2, n), distance: c.number(o.distance, `${path}.distance`, 'positive') };
  });

  return {
    format: FORCEFIELD_FORMAT,
    version: FORCEFIELD_VERSION,
    source: sourceOut,
    units: FORCEFIELD_UNITS,
    topology: makeTopology(atoms, topBonds),
    bonds,
    angles,
    torsions,
    nonbonded: { particles: nbParticles, exceptions },
    gbsa,
    constraints,
  };
}

/** Field checks that throw `<source>: <field> must be <expected>, got <value>`. */
class Checker {
  constructor(private readonly source: string) {}

  /** `got` is shown as JSON unless it is already `text` to print as it is. */
  fail(path: string, expected: string, got: unknown, text = false): never {
    let shown = text ? String(got) : got === undefined ? 'nothing (the field is missing)' : JSON.stringify(got);
    if (shown.length > 60) shown = `${shown.slice(0, 57)}...`;
    throw new Error(`${this.source}: ${path} must be ${expected}, got ${shown}`);
  }

  object(v: unknown, path: string, expected = 'an object'): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, expected, v);
    return v as Record<string, unknown>;
  }

  array(v: unknown, path: string, length?: number): unknown[] {
    if (!Array.isArray(v)) this.fail(path, length === undefined ? 'an array' : `an array of ${length} entries`, v);
    if (length !== undefined && v.length !== length) {
      this.fail(path, `an array of ${length} entries (one per atom)`, `${v.length} entries`, true);
    }
    return v;
  }

  string(v: unknown, path: string): string {
    if (typeof v !== 'string') this.fail(path, 'a string', v);
    return v;
  }

  number(v: unknown, path: string, kind: 'finite' | 'positive' | 'non-negative'): number {
    const ok = typeof v === 'number' && Number.isFinite(v) && (kind === 'finite' || (kind === 'positive' ? v > 0 : v >= 0));
    if (!ok) this.fail(path, kind === 'finite' ? 'a finite number' : `a ${kind} finite number`, v);
    return v as number;
  }

  integer(v: unknown, path: string, positive: boolean): number {
    if (!Number.isInteger(v) || (positive && (v as number) < 1)) this.fail(path, positive ? 'a positive integer' : 'an integer', v);
    return v as number;
  }

  /** A tuple of `count` distinct atom indices in 0..n−1. */
  atoms<N extends 2 | 3 | 4>(v: unknown, path: string, count: N, n: number): Tuple<N> {
    const ok =
      Array.isArray(v) &&
      v.length === count &&
      v.every((i) => Number.isInteger(i) && i >= 0 && i < n) &&
      new Set(v).size === count;
    if (!ok) this.fail(path, `${count} distinct atom indices in 0..${n - 1}`, v);
    return v as Tuple<N>;
  }
}

type Tuple<N extends 2 | 3 | 4> = N extends 2 ? [number, number] : N extends 3 ? [number, number, number] : [number, number, number, number];
