/**
 * `cglab refine --model <dir> --data <data set> [--top file.pdb] [--rounds N] [--until-kl K]
 * [--replicas R] [--ps T] [--skip-ps S] [--dt ps] [--seed S] [--check]`, with optional
 * `--dihedrals i-j-k-l,...`, `--harmonics K`, `--pair-harmonics K`, `--save-every-ps P` and
 * `--temperature K`: dihedral refinement (methods/forcematching/refine.ts) of a model folder
 * written by `cglab train forcematching`, against the φ/ψ-like dihedrals of `--data` (all-atom
 * frames, mapped with the model's map, or CG frames of its beads). Each round is a CG run and
 * the correction fitted to it, N rounds (default 3); with `--until-kl K`, refinement stops
 * after the round whose run was within KL K of the reference; `--check` ends with a run of the
 * refined model that measures it. The refined model
 * replaces `model.json`; every CG run is kept in `refine-runs.npz` and pooled by the next `cglab
 * refine` of the folder, which continues from the refined model (and whose first run measures
 * it). Ctrl-C stops at the next saved frame and keeps what was computed.
 */
import { existsSync } from 'node:fs';
import { initBackend } from '../backend/select.js';
import type { Quad } from '../cg/features.js';
import { FourierDihedrals } from '../cg/priors.js';
import { readCoordinates } from '../io/dataset.js';
import { bondedTuples } from '../methods/forcematching/model.js';
import { loadModelDir, modelFiles, startPositions, writeModelInfo } from '../methods/forcematching/modelDir.js';
import { loadRefinementRuns, refineDihedrals, saveRefinementRuns } from '../methods/forcematching/refine.js';
import { describePhiPsi, judgePhiPsi, type PhiPsiJudgement } from '../analysis/ramachandran.js';
import { alaninePhiPsiBeads } from '../methods/forcematching/mapping.js';
import { degrees } from '../units.js';
import { dihedrals } from '../analysis/geometry.js';
import { progressBar } from '../util/progress.js';
import { optString, parseArgs } from './args.js';
import { abortOnSigint, numberOption, requiredOption } from './train.js';

/** `--dihedrals 0-1-2-3,1-2-3-4` as quadruples of bead indices below `beads`. */
function parseDihedrals(text: string, beads: number): Quad[] {
  return text.split(',').map((part) => {
    const q = part.split('-').map(Number);
    if (q.length !== 4 || q.some((i) => !Number.isInteger(i) || i < 0 || i >= beads) || new Set(q).size !== 4) {
      throw new Error(`cglab refine: --dihedrals entry '${part}' must be four different bead indices 0 to ${beads - 1} joined by '-', e.g. 0-1-2-3`);
    }
    return q as unknown as Quad;
  });
}

/**
 * Default time step of the refinement runs, ps. Refinement needs populations, not dynamics, from
 * long runs: at 5 fs (a fifth of the stiffest CG bond's period, md/replicas.ts) BAOAB's
 * configurational sampling is still unbiased at the precision of the runs — every force-matching
 * accuracy number of the bench was measured at this step, and one refined model sampled at 2 fs
 * and 5 fs gave the same αR/β (0.691 ± 0.034 and 0.706 ± 0.017) and KL — and a round takes
 * 2.5× fewer steps (for CGSchNet on 20k frames, ~80–90 s). `cglab simulate` keeps 2 fs for
 * dynamics.
 */
const REFINE_DT = 0.005;

/**
 * Default rounds. Measured on 20k alanine-dipeptide frames (bench/cli-defaults.mjs, backbone5,
 * seeds 1–3): as trained, the runs' pair KL was 0.16–0.29 (CGnet) and 0.06–0.45 (CGSchNet), and
 * one correction from such a far run left CGnet's αR/β 14 % and 17 % off (seeds 1, 2); the run
 * after it was within KL 0.010–0.018 every time, but a correction fitted to that one run
 * inherits its sampling noise (αR/β ±6 % from 100 × 200 ps), and stopping there left one model
 * of six 14 % off on a 600-ps check. The third round's correction pools the runs of the two
 * corrected models (by MBAR), with √2 less noise.
 */
const ROUNDS = 3;

export async function refineCommand(argv: string[]): Promise<number> {
  const cmd = 'refine';
  const args = parseArgs(argv, {
    valued: ['model', 'data', 'top', 'rounds', 'until-kl', 'replicas', 'ps', 'skip-ps', 'dt', 'seed', 'dihedrals', 'harmonics', 'pair-harmonics', 'save-every-ps', 'temperature'],
    flags: ['check'],
  }, cmd);
  if (args.positional.length) throw new Error(`cglab refine: unexpected argument '${args.positional[0]}'; every input is an option (--model, --data)`);
  const dir = requiredOption(args, 'model', cmd, '<model folder>');
  const data = requiredOption(args, 'data', cmd, '<reference data set>');
  const rounds = numberOption(args, 'rounds', cmd, ROUNDS) as number;
  const untilKl = numberOption(args, 'until-kl', cmd);
  if (untilKl !== undefined && !(untilKl >= 0)) throw new Error(`cglab refine: --until-kl must be a divergence ≥ 0 (nats), got ${optString(args, 'until-kl')}`);
  const replicas = numberOption(args, 'replicas', cmd, 100) as number;
  for (const [name, v] of [['rounds', rounds], ['replicas', replicas]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`cglab refine: --${name} must be a positive integer, got ${optString(args, name)}`);
  }

  await initBackend();
  const m = loadModelDir(dir);
  try {
    const reference = startPositions(m, readCoordinates(data, { top: optString(args, 'top') }), data);
    const beads = m.info.cgTopology.atoms.length;
    // The dihedrals of an earlier refinement, else those asked for, else the backbone's: bonded
    // quadruples of consecutive beads (φ and ψ for backbone5 and backbone6).
    const earlier = m.model.terms['dihedral-correction'];
    const given = optString(args, 'dihedrals');
    const quads: Quad[] = given !== undefined ? parseDihedrals(given, beads)
      : earlier instanceof FourierDihedrals ? earlier.tuples.map((q) => [...q] as unknown as Quad)
        : bondedTuples(m.info.cgTopology).dihedrals.filter((q) => q.every((b, i) => b === q[0] + i));
    if (quads.length === 0) throw new Error(`cglab refine: ${dir}: the CG topology has no bonded dihedral of consecutive beads; name the dihedrals to refine with --dihedrals i-j-k-l,...`);
    const files = modelFiles(dir);
    const runsFile = files.refineRuns;
    const runs = existsSync(runsFile) ? loadRefinementRuns(runsFile) : [];
    const ac = new AbortController();
    const uninstall = abortOnSigint(ac, 'cglab refine: interrupted — keeping the runs and corrections computed so far');
    const ps = numberOption(args, 'ps', cmd, 200) as number;
    const check = args.options.has('check');
    const most = rounds + (check ? 1 : 0);
    const bar = progressBar(`refine: ${untilKl === undefined ? '' : 'up to '}${rounds} round${rounds > 1 ? 's' : ''}${untilKl === undefined ? '' : ` (until a run is within KL ${untilKl})`}${check ? ' and a check' : ''}, ${replicas}×${ps} ps per run`);
    try {
      const res = await refineDihedrals(m.model, quads, {
        reference, masses: m.masses, temperature: numberOption(args, 'temperature', cmd, m.info.temperature) as number,
        iterations: rounds, ...(untilKl === undefined ? {} : { untilKl }), check, replicas, ps,
        skipPs: numberOption(args, 'skip-ps', cmd, 10),
        dt: numberOption(args, 'dt', cmd, REFINE_DT),
        saveEveryPs: numberOption(args, 'save-every-ps', cmd, 0.25),
        harmonics: numberOption(args, 'harmonics', cmd),
        pairHarmonics: numberOption(args, 'pair-harmonics', cmd),
        // Runs of earlier calls took seeds seed + 0, 1, …: go on from there.
        seed: (numberOption(args, 'seed', cmd, 1) as number) + runs.length,
        runs,
        signal: ac.signal,
        onProgress: (round, done, steps) => bar.update(round * steps + done, most * steps, `run ${round + 1}, up to ${most}`),
      });
      const kept = res.runs.length - runs.length;
      bar.done(`${kept} run${kept === 1 ? '' : 's'}${res.interrupted ? ', interrupted' : ''}`);
      const kl = (d: number[]) => d.map((v) => v.toFixed(3)).join(', ');
      res.divergence.forEach((d, k) => process.stderr.write(`  run ${k + 1}: KL(ref‖CG) per dihedral ${kl(d)}${res.pairDivergence[k].length ? `; per pair ${kl(res.pairDivergence[k])}` : ''} nats\n`));
      if (kept > 0) saveRefinementRuns(runsFile, res.runs);
      // The last run judged on every bin the reference populates, by basin: alanine dipeptide's
      // φ/ψ, when the refined dihedrals include them.
      const phiPsi = alaninePhiPsiBeads(m.info.map.spec);
      const [phiAt, psiAt] = phiPsi ? [phiPsi.phi, phiPsi.psi].map((q) => quads.findIndex((d) => d.every((b, i) => b === q[i]))) : [-1, -1];
      let judgement: (PhiPsiJudgement & { run: number; refined: boolean }) | undefined;
      if (kept > 0 && phiAt >= 0 && psiAt >= 0) {
        const last = res.runs[res.runs.length - 1];
        const refined = check && !res.interrupted && res.reweighting.length > 0;
        judgement = {
          ...judgePhiPsi({ phi: degrees(dihedrals(reference, beads, quads[phiAt])), psi: degrees(dihedrals(reference, beads, quads[psiAt])) }, { phi: degrees(last.angles[phiAt]), psi: degrees(last.angles[psiAt]) }),
          run: res.runs.length,
          refined,
        };
        process.stderr.write(`  run ${res.runs.length} (${refined ? 'the refined model' : 'the model before the last correction'}) against the reference:\n${describePhiPsi(judgement).map((l) => `    ${l}\n`).join('')}`);
      }
      const corrected = res.reweighting.length;
      if (corrected > 0) res.model.save(files.model);
      const before = m.info.refinement;
      writeModelInfo(dir, {
        ...m.info,
        refinement: {
          rounds: (before?.rounds ?? 0) + corrected,
          runs: res.runs.length,
          data,
          quads: quads.map((q) => [...q]),
          divergence: [...(before?.divergence ?? []), ...res.divergence],
          pairDivergence: [...(before?.pairDivergence ?? []), ...res.pairDivergence],
          ...(judgement ? { judgement } : before?.judgement ? { judgement: before.judgement } : {}),
        },
      });
      const stopped = corrected < rounds && !res.interrupted ? ` (run ${corrected} was within KL ${untilKl}: stopped)` : '';
      process.stderr.write(`cglab refine: ${corrected} correction${corrected === 1 ? '' : 's'} added to ${files.model}${stopped}; ${res.runs.length} runs kept in ${runsFile}\n`);
      if (corrected > 0 && !check && !res.interrupted) process.stderr.write('cglab refine: the refined model has not been run; --check ends with a run that measures it, and so does the first run of the next cglab refine\n');
      return res.interrupted ? 130 : 0;
    } finally {
      uninstall();
    }
  } finally {
    m.model.dispose();
  }
}
