/**
 * `cglab fit pairs --data <data set | NPZ with positions, forces, box> --method fm|ibi|rem|arcg
 * [--cutoff 0.9] [--bin 0.01] [--temperature 300] [--iterations N] [--seed S] --out <dir>`:
 * pair potentials of a CG liquid (methods/pairs), written as a model folder that `cglab
 * simulate` runs (methods/pairs/modelDir.ts). Also `--top file.pdb` (the atoms' topology: one
 * bead per residue), `--beads spec.json` (several beads per molecule, methods/pairs/data.ts
 * BeadSpec; harmonic bonds of consecutive beads, fitted with the pairs by fm, by Boltzmann
 * inversion and held fixed by ibi and rem), `--frames N` (use N frames, strided), and for IBI and REM the CG runs of
 * each iteration: `--replicas R` (1), `--ps T` (20 ps after `--skip-ps` 2), `--save-every-ps`
 * (0.2), `--dt` (0.002); `--tolerance` (IBI: RDF rms, 0.02; REM: largest step in kT, 0.005),
 * `--pressure P` (IBI: bar, switches the pressure ramp on), `--target rdf.csv` (IBI: the RDF to
 * match); `--regularisation` (FM, 1e-3); `--stream` / `--memory-gb G` (FM: the normal equations
 * accumulated block by block, for sets larger than memory). `--method arcg` (methods/arcg/pairs.ts) takes `--critic
 * linear|mlp` (linear), `--divergence kl|js` (kl), `--critic-steps`, `--learning-rate`,
 * `--critic-on bead|box` (bead), `--min-ess`, `--ridge` and `--resume` (go on from `<out>/arcg-state.json`, written after every
 * iteration). Ctrl-C keeps what was computed.
 */
import type { Rdf } from '../analysis/rdf.js';
import type { PairBasisSet } from '../cg/pairBasisSet.js';
import type { PairTable } from '../cg/pairTable.js';
import { readJsonFile } from '../io/jsonFile.js';
import { readRdfCsv, writeRdfCsv } from '../io/rdfCsv.js';
import { fitAngles, fitBonds } from '../methods/pairs/bonds.js';
import { checkCutoff, liquidFromTrajectory, type BeadSpec, type LiquidData, type ReadLiquidOptions } from '../methods/pairs/data.js';
import { forceMatchPairs, forceMatchPairsStreamed } from '../methods/pairs/fm.js';
import { defaultChunk } from '../io/frameBlocks.js';
import { randomFrames, readFrames, type FrameSet } from '../io/frameSet.js';
import { Random } from '../util/random.js';
import { makeTrajectory } from '../io/trajectory.js';
import { ibiPairs } from '../methods/pairs/ibi.js';
import { liquidRdf, type IterationRecord, type IterativeOptions } from '../methods/pairs/iterate.js';
import { PAIRS_FORMAT, PAIRS_VERSION, writeIteration, writeLiquidFrames, writePairModel, type PairsInfo } from '../methods/pairs/modelDir.js';
import { remPairs } from '../methods/pairs/rem.js';
import { arcgPairs, CRITICS, type CriticKind } from '../methods/arcg/pairs.js';
import { ARCG_STATE_FILE, readArcgState, writeArcgState } from '../methods/arcg/stateFile.js';
import { fDivergence, type DivergenceName } from '../nn/fDivergence.js';
import type { ArcgState } from '../methods/arcg/arcg.js';
import { initBackend } from '../backend/select.js';
import { progressBar } from '../util/progress.js';
import { optString, parseArgs, type ParsedArgs } from './args.js';
import { dataSet, streamChoice } from './dataArgs.js';
import { abortOnSigint, numberOption, requiredOption } from './train.js';

const METHODS = ['fm', 'ibi', 'rem', 'arcg'];
/** Options only some methods take. */
const ONLY: Record<string, string[]> = {
  ibi: ['target', 'pressure'], fm: ['regularisation'],
  arcg: ['critic', 'critic-on', 'divergence', 'critic-steps', 'learning-rate', 'min-ess', 'ridge', 'resume'],
};

export async function fitCommand(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what !== 'pairs') throw new Error(`cglab fit: expected 'pairs' (cglab fit pairs --data … --method fm|ibi|rem|arcg --out <dir>), got '${what ?? ''}'`);
  const cmd = 'fit pairs';
  const args = parseArgs(rest, {
    multi: ['data'],
    valued: ['memory-gb', 'top', 'data-units', 'beads', 'method', 'cutoff', 'bin', 'temperature', 'iterations', 'seed', 'out', 'frames', 'replicas', 'ps', 'skip-ps', 'save-every-ps', 'dt', 'tolerance', 'pressure', 'target', 'regularisation', 'critic', 'critic-on', 'divergence', 'critic-steps', 'learning-rate', 'min-ess', 'ridge'],
    flags: ['resume', 'stream'],
  }, cmd);
  if (args.positional.length) throw new Error(`cglab ${cmd}: unexpected argument '${args.positional[0]}'`);
  const method = requiredOption(args, 'method', cmd, 'fm|ibi|rem|arcg');
  if (!METHODS.includes(method)) throw new Error(`cglab ${cmd}: --method must be one of ${METHODS.join(', ')}, got '${method}'`);
  for (const [m, names] of Object.entries(ONLY)) {
    const wrong = m !== method && names.find((n) => args.options.has(n));
    if (wrong) throw new Error(`cglab ${cmd}: --${wrong} is an option of --method ${m}`);
  }
  const out = requiredOption(args, 'out', cmd, '<model folder>');
  const cutoff = numberOption(args, 'cutoff', cmd, 0.9) as number;
  const bin = numberOption(args, 'bin', cmd, 0.01) as number;
  if (!(cutoff > 0) || !(bin > 0)) throw new Error(`cglab ${cmd}: --cutoff and --bin must be positive lengths (nm), got ${cutoff} and ${bin}`);
  const frames = numberOption(args, 'frames', cmd);
  const beadsFile = optString(args, 'beads');
  const beads = beadsFile ? readBeadSpec(beadsFile) : undefined;
  const { set, label: path } = dataSet(args, cmd, '<data set | NPZ with positions, forces and box | trajectories | glob>', { requireForces: method === 'fm' && "force matching fits the pair forces to the mapped forces: give data with 'forces' [frames, atoms, 3] (kJ/mol/nm)", requireTopology: false });
  const liquid = { requireForces: method === 'fm', ...(beads ? { beads, beadsSource: beadsFile } : {}) };
  // Only linear FM can stream: the iterative methods compare every mapped frame with each run.
  const { stream: large, why } = streamChoice(args, cmd, set);
  const streamed = method === 'fm' && large;
  if (args.options.has('stream') && method !== 'fm') throw new Error(`cglab ${cmd}: --stream is an option of --method fm; ${method} holds the mapped reference frames in memory`);
  if (streamed && frames !== undefined) throw new Error(`cglab ${cmd}: --frames strides over frames held in memory; a streamed set (${why}) is fitted on every frame`);
  // Streamed, the target RDF and the start frames come from a random sample of the frames.
  const data = streamed
    ? liquidFromTrajectory(await readFrames(set, randomFrames(set.nFrames, Math.min(STREAM_SAMPLE_FRAMES, set.nFrames), new Random(numberOption(args, 'seed', cmd, 1) as number)), path, { box: true }), `${path} (${Math.min(STREAM_SAMPLE_FRAMES, set.nFrames)} frames drawn at random)`, liquid)
    : liquidFromTrajectory(set.read(), path, { ...liquid, maxFrames: frames });
  if (streamed) process.stderr.write(`cglab ${cmd}: streaming ${path} (${why}); the target RDF and start frames from ${data.frames} frames drawn at random\n`);
  const totalFrames = streamed ? set.nFrames : data.frames;
  checkCutoff(data, cutoff, `cglab ${cmd}: --cutoff ${cutoff} nm`);
  const temperature = numberOption(args, 'temperature', cmd, data.temperature ?? 300) as number;
  if (!(temperature > 0)) throw new Error(`cglab ${cmd}: --temperature must be positive (K), got ${temperature}`);
  if (data.bondPairs && method !== 'fm') {
    // IBI and REM fit the pairs only: the bonds by Boltzmann inversion, held fixed (fm fits them with the pairs).
    const fit = fitBonds(data, temperature);
    data.bonds = fit.bonds;
    for (const t of fit.types) process.stderr.write(`cglab ${cmd}: bond ${t.name} (${t.count} lengths): r0 ${t.r0.toFixed(4)} nm, k ${t.k.toFixed(0)} kJ/mol/nm² by Boltzmann inversion, held fixed\n`);
    const angles = fitAngles(data, temperature);
    if (angles.angles.length) data.angles = angles.angles;
    for (const t of angles.types) process.stderr.write(`cglab ${cmd}: angle ${t.name} (${t.count} angles): θ0 ${t.theta0.toFixed(4)} rad, k ${t.k.toFixed(1)} kJ/mol/rad² by Boltzmann inversion, held fixed\n`);
  }
  const seed = numberOption(args, 'seed', cmd, 1) as number;
  process.stderr.write(`cglab ${cmd}: ${totalFrames} frames of ${data.n} beads (${data.typeNames.join(', ')}) from ${path}, box ${Array.from(data.box.subarray(0, 3), (l) => l.toFixed(3)).join(' × ')} nm, ${temperature} K\n`);

  const ac = new AbortController();
  const uninstall = abortOnSigint(ac, `cglab ${cmd}: interrupted — keeping what was computed`);
  const t0 = Date.now();
  const base: Omit<PairsInfo, 'tables' | 'record'> = { format: PAIRS_FORMAT, version: PAIRS_VERSION, method, typeNames: data.typeNames, types: Array.from(data.types), masses: Array.from(data.masses), temperature, cutoff, topology: data.topology, source: path, ...(beads ? { beads } : {}),
    ...(data.molecule ? { molecule: Array.from(data.molecule) } : {}),
    ...(data.bonds ? { bonds: data.bonds } : {}),
    ...(data.angles ? { angles: data.angles } : {}),
  };
  // What --method arcg resumes from, checked before anything is written.
  const arcgSetup = method === 'arcg' ? arcgOptions(args, cmd, out) : undefined;
  if (arcgSetup?.critic === 'mlp') await initBackend();
  try {
    writeLiquidFrames(out, data);
    if (method === 'fm') {
      // IBI and REM compute the target RDF themselves (rdf-target.csv is then theirs).
      writeRdfCsv(`${out}/rdf-target.csv`, liquidRdf(data.positions, data.frames, data.box, data, cutoff, bin));
      const bar = progressBar('fm frames');
      const fmOptions = {
        cutoff, spacing: bin, regularisation: numberOption(args, 'regularisation', cmd), signal: ac.signal,
        onProgress: (d: number, t: number) => bar.update(d, t),
      };
      const res = streamed ? await forceMatchPairsStreamed(() => liquidParts(set, path, liquid), fmOptions) : forceMatchPairs(data, fmOptions);
      const seconds = (Date.now() - t0) / 1000;
      bar.done(`${res.frames} frames in ${seconds.toFixed(1)} s, residual ${res.residual.toFixed(2)} of mean squared force ${res.meanSquaredForce.toFixed(2)} (kJ/mol/nm)²`);
      const tables = res.basis.tables(res.theta);
      for (const t of res.bonds?.types ?? []) process.stderr.write(`cglab ${cmd}: bond ${t.name} fitted with the pairs: r0 ${t.r0.toFixed(4)} nm, k ${t.k.toFixed(0)} kJ/mol/nm²\n`);
      for (const t of res.angles?.types ?? []) process.stderr.write(`cglab ${cmd}: angle ${t.name} fitted with the pairs: θ0 ${t.theta0.toFixed(4)} rad, k ${t.k.toFixed(1)} kJ/mol/rad²\n`);
      writePairModel(out, {
        ...base, ...(res.bonds ? { bonds: res.bonds.bonds } : {}), ...(res.angles ? { angles: res.angles.angles } : {}), record: {
          frames: res.frames, seconds, residual: res.residual, meanSquaredForce: res.meanSquaredForce, rMinSampled: res.rMinSampled,
          regularisation: numberOption(args, 'regularisation', cmd, 1e-3), spacing: bin,
          coefficients: knotTable(res.basis, res.theta, res.thetaError),
        },
      }, tables);
      done(out, tables, res.frames < totalFrames);
      return res.frames < totalFrames ? 130 : 0;
    }
    const iterative: IterativeOptions = {
      cutoff, bin, temperature, seed,
      iterations: numberOption(args, 'iterations', cmd, 10) as number,
      sampling: {
        replicas: numberOption(args, 'replicas', cmd, 1), ps: numberOption(args, 'ps', cmd, 20) as number,
        skipPs: numberOption(args, 'skip-ps', cmd, 2), saveEveryPs: numberOption(args, 'save-every-ps', cmd, 0.2), dt: numberOption(args, 'dt', cmd),
      },
      signal: ac.signal,
    };
    const bar = progressBar(`${method}`);
    const iterations: IterationRecord[] = [];
    iterative.onProgress = (it, d, t) => bar.update(d, t, `iteration ${it}`);
    iterative.onIteration = (rec, tables) => {
      iterations.push(rec);
      writeIteration(out, rec.iteration, tables);
      const extra = rec.relativeEntropy !== undefined ? `, S_rel ${(rec.relativeEntropy as number).toFixed(2)} k_B${rec.accepted === false ? ' (step rejected, halved)' : ''}`
        : rec.divergence !== undefined ? `, ${optString(args, 'divergence') ?? 'kl'} estimate ${(rec.divergence as number).toExponential(3)}${rec.accepted === false ? ', raised the divergence: rejected, step halved' : `, step ${(rec.step as number).toFixed(4)} kT`}${rec.resampled ? '' : ` (samples of iteration ${rec.sampledAt as number} reweighted, ESS ${(rec.ess as number).toFixed(0)}; the RDF is theirs)`}` : '';
      const p = rec.pressureBar !== undefined ? `, pressure ${(rec.pressureBar as number).toFixed(0)} bar` : '';
      process.stderr.write(`${method} iteration ${rec.iteration}: RDF rms error ${rec.rdfError.toFixed(4)} (${rec.frames} CG frames)${extra}${p}, ${rec.seconds.toFixed(1)} s\n`);
    };
    const tolerance = numberOption(args, 'tolerance', cmd);
    const targetFile = optString(args, 'target');
    if (method === 'ibi') {
      const res = await ibiPairs(data, {
        ...iterative, tolerance, pressure: numberOption(args, 'pressure', cmd),
        ...(targetFile ? { target: readRdfCsv(targetFile), targetSource: targetFile } : {}),
      });
      finishIterative(out, base, res, iterations, t0, { converged: res.converged });
      done(out, res.tables, ac.signal.aborted);
    } else if (method === 'rem') {
      const res = await remPairs(data, { ...iterative, tolerance });
      finishIterative(out, base, res, iterations, t0, { converged: res.converged, relativeEntropy: res.relativeEntropy, coefficients: knotTable(res.basis, res.theta) });
      done(out, res.tables, ac.signal.aborted);
    } else {
      const { critic, divergence, resume } = arcgSetup as ArcgSetup;
      if (resume) process.stderr.write(`cglab ${cmd}: resuming from ${out}/${ARCG_STATE_FILE} at iteration ${resume.iteration}\n`);
      const res = await arcgPairs(data, {
        ...iterative, tolerance, critic, divergence, resume,
        criticSteps: numberOption(args, 'critic-steps', cmd), learningRate: numberOption(args, 'learning-rate', cmd), minEss: numberOption(args, 'min-ess', cmd),
        ridge: numberOption(args, 'ridge', cmd), criticOn: criticOnOption(args, cmd), onState: (state) => writeArcgState(out, state),
      });
      res.critic.dispose();
      finishIterative(out, base, { ...res, iterations: res.state.records as unknown as IterationRecord[] }, res.state.records as unknown as IterationRecord[], t0, {
        converged: res.converged, critic, divergence, coefficients: knotTable(res.basis, res.theta, res.thetaError),
      });
      done(out, res.tables, ac.signal.aborted);
    }
    return ac.signal.aborted ? 130 : 0;
  } finally {
    uninstall();
  }
}

/** Frames of a streamed set that give its target RDF and start frames. */
const STREAM_SAMPLE_FRAMES = 1000;

/** The frames of `set` mapped to the liquid's beads, block by block. */
async function* liquidParts(set: FrameSet, path: string, o: Omit<ReadLiquidOptions, 'top'>): AsyncGenerator<LiquidData> {
  for await (const b of set.blocks(0, set.nFrames, defaultChunk(set.nAtoms))) {
    yield liquidFromTrajectory(makeTrajectory({ topology: set.topology, nFrames: b.nFrames, nAtoms: b.nAtoms, positions: b.positions, forces: b.forces, box: b.box, provenance: set.provenance }), `${path} (frames ${b.start}–${b.start + b.nFrames - 1})`, o);
  }
}

/** --critic-on bead|box (methods/arcg/pairs.ts; default bead). */
function criticOnOption(args: ParsedArgs, cmd: string): 'bead' | 'box' | undefined {
  const v = optString(args, 'critic-on');
  if (v !== undefined && v !== 'bead' && v !== 'box') throw new Error(`cglab ${cmd}: --critic-on must be bead or box, got '${v}'`);
  return v;
}

interface ArcgSetup {
  critic: CriticKind;
  divergence: DivergenceName;
  resume?: ArcgState;
}

/**
 * --critic, --divergence and the state --resume goes on from.
 * @throws Error for an unknown critic or divergence, or a saved state of another critic or
 *   divergence than asked for (the state's own are taken when none is asked for).
 */
function arcgOptions(args: ParsedArgs, cmd: string, out: string): ArcgSetup {
  const resume = args.options.has('resume') ? readArcgState(out) : undefined;
  const saved = resume?.critic.config;
  const critic = optString(args, 'critic') ?? (saved?.kind as string | undefined) ?? 'linear';
  if (!(CRITICS as readonly string[]).includes(critic)) throw new Error(`cglab ${cmd}: --critic must be one of ${CRITICS.join(', ')}, got '${critic}'`);
  const divergence = fDivergence(optString(args, 'divergence') ?? (saved?.divergence as string | undefined) ?? 'kl', `cglab ${cmd}: --divergence`).name;
  if (saved && (saved.kind !== critic || saved.divergence !== divergence)) {
    throw new Error(`cglab ${cmd}: ${out}/${ARCG_STATE_FILE} holds a ${String(saved.kind)} critic for ${String(saved.divergence)}, not the ${critic} critic for ${divergence} asked for: resume with the same --critic and --divergence`);
  }
  return { critic: critic as CriticKind, divergence, resume };
}

function finishIterative(out: string, base: Omit<PairsInfo, 'tables' | 'record'>, res: { tables: Map<string, PairTable>; iterations: IterationRecord[]; target: Rdf }, iterations: IterationRecord[], t0: number, extra: Record<string, unknown>): void {
  if (!res.iterations.length) throw new Error(`cglab fit pairs: interrupted before the first iteration finished; nothing to save in ${out}`);
  writeRdfCsv(`${out}/rdf-target.csv`, res.target);
  writePairModel(out, {
    ...base,
    record: { seconds: (Date.now() - t0) / 1000, iterations, finalRdfError: iterations[iterations.length - 1].rdfError, ...extra },
  }, res.tables);
}

function done(out: string, tables: Map<string, PairTable>, interrupted: boolean): void {
  process.stderr.write(`cglab fit pairs: wrote ${out}/pairs.json and tables/${[...tables.keys()].map((k) => `${k}.csv`).join(', ')} (+ .lammps)${interrupted ? ' — interrupted, from the work done so far' : ''}\n`);
}

/** Coefficients per pair at their knots, with block errors, for the record. */
function knotTable(set: PairBasisSet, theta: Float64Array, error = new Float64Array(theta.length).fill(NaN)): Record<string, { r0: number; h: number; theta: number[]; error: number[] }> {
  return Object.fromEntries(set.pairs.map((p, q) => [set.pairName(q), {
    r0: p.basis.rMin, h: p.basis.h,
    theta: Array.from(set.slice(theta, q)), error: Array.from(set.slice(error, q), (e) => (Number.isFinite(e) ? e : -1)),
  }]));
}


/** A --beads file: JSON {residue: [{name, atoms: [atom names]}, …]}. */
function readBeadSpec(file: string): BeadSpec {
  const spec = readJsonFile(file, 'bead spec');
  const ok = spec && typeof spec === 'object' && !Array.isArray(spec) && Object.values(spec).every((beads) =>
    Array.isArray(beads) && beads.length > 0 && beads.every((b) => b && typeof b.name === 'string' && b.name && !b.name.includes('-') && Array.isArray(b.atoms) && b.atoms.length > 0 && b.atoms.every((a: unknown) => typeof a === 'string')));
  if (!ok) throw new Error(`${file}: expected {"<residue>": [{"name": "<bead type, no '-'>", "atoms": ["<atom name>", …]}, …]}`);
  return spec as BeadSpec;
}
