/**
 * `cglab train embedded --system <name> [--temperature K] [--latent D] [--seed S] --out <dir>`:
 * embedded-physics CG from the system's force field alone (no --data). Also `--prior
 * normal|uniform`, `--hidden 64,64`, `--batch B`, `--lr R`, `--a-start A`, `--schedule
 * a1,a2,…,1` (an explicit ladder in place of the adaptive one), `--target-ess F`, `--window W`,
 * `--steps N` (most steps), `--fits K` (K fits from seeds S, S + 1, … in `<dir>/fits/<k>/`, the
 * one with the lowest free-energy bound as `<dir>/model.json`: the spread of an observable over
 * them is its error bar). Writes `<dir>/model.json` and `<dir>/training.json`
 * (methods/embedded/modelDir.ts); Ctrl-C saves what was learnt (exit 130); a run that stops
 * before the factor reaches 1 is saved and exits 1 saying so.
 */
import { initBackend } from '../backend/select.js';
import { embeddedTarget, saveEmbedded } from '../methods/embedded/modelDir.js';
import { join } from 'node:path';
import { fitEnsemble } from '../methods/embedded/ensemble.js';
import type { EmbeddedOptions } from '../methods/embedded/train.js';
import { LATENT_PRIORS, type LatentPrior } from '../methods/embedded/model.js';
import type { JsonObject } from '../nn/params.js';
import { progressBar } from '../util/progress.js';
import { optString, type ParsedArgs } from './args.js';
import { abortOnSigint, numberOption, requiredOption } from './train.js';

/** Options `cglab train embedded` takes. */
export const TRAIN_EMBEDDED_OPTIONS = ['system', 'temperature', 'latent', 'seed', 'out', 'prior', 'hidden', 'batch', 'lr', 'a-start', 'schedule', 'target-ess', 'window', 'steps', 'fits'];

function numberList(args: ParsedArgs, name: string, cmd: string): number[] | undefined {
  const v = optString(args, name);
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => Number(s));
  if (!list.length || list.some((x, k) => !Number.isFinite(x) || v.split(',')[k].trim() === '')) throw new Error(`cglab ${cmd}: --${name} must be comma-separated numbers, got '${v}'`);
  return list;
}

export async function trainEmbeddedCommand(args: ParsedArgs): Promise<number> {
  const cmd = 'train embedded';
  const system = requiredOption(args, 'system', cmd, '<system name>');
  const out = requiredOption(args, 'out', cmd, '<dir>');
  const prior = (optString(args, 'prior') ?? 'normal') as LatentPrior;
  if (!LATENT_PRIORS.includes(prior)) throw new Error(`cglab ${cmd}: --prior is '${prior}', expected one of ${LATENT_PRIORS.join(', ')}`);
  const latent = numberOption(args, 'latent', cmd, 1) as number;
  if (!Number.isInteger(latent) || latent < 1) throw new Error(`cglab ${cmd}: --latent must be an integer ≥ 1 (the number of latent variables), got ${latent}`);
  const schedule = numberList(args, 'schedule', cmd);
  const aStart = numberOption(args, 'a-start', cmd);
  const opts: EmbeddedOptions = {
    latent,
    prior,
    seed: numberOption(args, 'seed', cmd, 1),
    hidden: numberList(args, 'hidden', cmd),
    batch: numberOption(args, 'batch', cmd),
    learningRate: numberOption(args, 'lr', cmd),
    aStart,
    schedule,
    targetEss: numberOption(args, 'target-ess', cmd),
    window: numberOption(args, 'window', cmd),
    maxSteps: numberOption(args, 'steps', cmd),
  };
  const target = embeddedTarget(system, numberOption(args, 'temperature', cmd), schedule?.[0] ?? aStart);
  await initBackend();
  process.stderr.write(`cglab ${cmd}: ${system} at ${target.temperature} K, ${target.dim} generated coordinates, ${latent} latent variable(s) (${prior}), no data\n`);
  const ac = new AbortController();
  const uninstall = abortOnSigint(ac, `cglab ${cmd}: interrupted — saving what was learnt`);
  const bar = progressBar('embedded');
  const t0 = Date.now();
  const count = numberOption(args, 'fits', cmd, 1) as number;
  if (!Number.isInteger(count) || count < 1) throw new Error(`cglab ${cmd}: --fits must be a positive integer (independent fits, seeds --seed upwards), got ${count}`);
  const seed = opts.seed ?? 1;
  let current = 0;
  const label = () => (count > 1 ? `fit ${current + 1}/${count} ` : '');
  try {
    const ensemble = await fitEnsemble(target, count, {
      ...opts,
      signal: ac.signal,
      onStep: (s) => {
        if (s.step % 50 === 0) bar.update(s.step, opts.maxSteps ?? 100_000, `${label()}a ${s.a.toExponential(2)} loss ${s.loss.toFixed(3)} kT`);
      },
      onStage: (s) => process.stderr.write(s.diverged
        ? `embedded ${label()}rung ${s.stage}: a ${s.a.toExponential(3)} diverged after ${s.steps} steps (window loss ${s.loss.toFixed(3)} kT): stepping back to the rung's start, retrying at a ${s.next.toExponential(3)} with learning rate halved\n`
        : `embedded ${label()}rung ${s.stage}: a ${s.a.toExponential(3)}, ${s.steps} steps${s.settled ? '' : ' (not settled)'}, loss ${s.loss.toFixed(3)} kT, next a ${s.next.toExponential(3)} at ESS ${(100 * s.ess).toFixed(0)} %${s.guard ? `, ${s.guard}` : ''}\n`),
    }, 4096, (k, f, bound) => {
      if (count > 1) {
        saveEmbedded(join(out, 'fits', String(k)), target, system, f, { seed: seed + k, bound });
        process.stderr.write(`cglab ${cmd}: fit ${k + 1}/${count} (seed ${seed + k}): bound ${bound.toFixed(4)} kT, a = ${f.a.toPrecision(3)}; saved in ${join(out, 'fits', String(k))}\n`);
      }
      current = k + 1;
    });
    bar.done();
    const fit = ensemble.fits[ensemble.best];
    const fits: JsonObject = count > 1 ? { fits: ensemble.bounds.map((bound, k) => ({ seed: seed + k, bound, dir: `fits/${k}`, a: ensemble.fits[k].a })), best: ensemble.best } : {};
    saveEmbedded(out, target, system, fit, { seconds: (Date.now() - t0) / 1000, bound: ensemble.bounds[ensemble.best], options: { latent, prior, seed: seed + ensemble.best, ...(schedule ? { schedule } : {}) }, ...fits });
    for (const f of ensemble.fits) f.model.dispose();
    process.stderr.write(`cglab ${cmd}: wrote ${out}/model.json and training.json (${count > 1 ? `the best of ${ensemble.fits.length} fits, seed ${seed + ensemble.best}; ` : ''}${fit.steps} steps, a = ${fit.a.toPrecision(3)}${fit.complete ? ', complete' : ''}, bound ${ensemble.bounds[ensemble.best].toFixed(4)} kT)\n`);
    if (ac.signal.aborted) return 130;
    if (fit.a < 1) {
      process.stderr.write(`cglab ${cmd}: the tempering factor reached only a = ${fit.a.toPrecision(3)} after ${fit.steps} steps (--steps): the model describes ${system} at ${(target.temperature / fit.a).toPrecision(4)} K, not ${target.temperature} K; raise --steps\n`);
      return 1;
    }
    return 0;
  } finally {
    uninstall();
  }
}
