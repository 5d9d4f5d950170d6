#!/usr/bin/env node
// Autograin: CG auto-encoders that learn the mapping (issue 16).
//
// Sweep (AG_SWEEP 1): alanine dipeptide (AG_REF, a data set; default the cached 4 × 2 ns set of
// `cglab generate alanine-dipeptide --ns 2 --replicas 4 --save-every-ps 1 --seed 1`), beads
// AG_BEADS 2–10 × seeds AG_SEEDS 1,2,3, at ρ = 0 and ρ = AG_RHO (3e-8 nm²/(kJ/mol/nm)²), fitAutograin
// defaults otherwise: the reconstruction error of the learnt map (least-squares decoder, held-out
// frames, nm² and Å²; mean ± standard deviation over seeds), how often the map passes the chemistry
// check (beads connected in the bond graph, hydrogens with their heavy atom), and the mapped-force
// variance (the force-matching noise floor of the map). AG_UNITS (auto): 'atoms' assigns every
// atom alone; auto assigns each heavy atom with its constrained hydrogens as one unit (the data
// have X–H constraints). AG_OUT: write the table as JSON there.
//
// Force matching on the learnt map (AG_FM 1): the 6-bead map (best of seeds 1–3) through
// `cglab train forcematching` (CGnet) and `cglab simulate`; bond, angle and dihedral distributions
// of the CG run against the mapped reference (JS divergence, KL of the dihedrals nearest to φ, ψ).
//
// Hexane (AG_HEX 1): the liquid's 2- and 3-bead maps per molecule, then pair tables force-matched
// on the 2-bead one and a CG run: RDFs, the intramolecular bead distance, the speed-up.
//
// Speed (AG_TIMING 1): one epoch of the 6-bead auto-encoder (straight-through Gumbel-softmax,
// linear decoder, force term on; batch 256) on the same frames against the same model in PyTorch
// (1 thread), in this script; the losses of both on one fixed noise are printed side by side.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../kernel-lib/dist/backend/select.js';
import { checkAssignment, oneHot } from '../kernel-lib/dist/cg/assignment.js';
import { basicForceMap, mappedForceVariance } from '../kernel-lib/dist/cg/forceMap.js';
import { groupMap } from '../kernel-lib/dist/cg/linearMap.js';
import { referenceData } from '../kernel-lib/dist/datasets/referenceData.js';
import { readDataset } from '../kernel-lib/dist/io/dataset.js';
import { writeNpy } from '../kernel-lib/dist/io/npy.js';
import { CgAutoencoder } from '../kernel-lib/dist/methods/autograin/autoencoder.js';
import { autograinSamples } from '../kernel-lib/dist/methods/autograin/data.js';
import { fitAutograin } from '../kernel-lib/dist/methods/autograin/train.js';
import { groupsMapSpecOf, pairBeadSpecOf } from '../kernel-lib/dist/methods/autograin/modelDir.js';
import { liquidFromTrajectory } from '../kernel-lib/dist/methods/pairs/data.js';
import { liquidRdf, rdfRms } from '../kernel-lib/dist/methods/pairs/iterate.js';
import { resolveMap } from '../kernel-lib/dist/methods/forcematching/mapping.js';
import { readNpz } from '../kernel-lib/dist/io/npz.js';
import { angles, dihedrals, distances } from '../kernel-lib/dist/analysis/geometry.js';
import { histogram1d, histogram2d } from '../kernel-lib/dist/analysis/fes.js';
import { jsDivergence, klDivergence, klDivergenceCommon } from '../kernel-lib/dist/analysis/divergence.js';
import { ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI } from '../kernel-lib/dist/datasets/alanineDipeptide.js';
import { degrees } from '../kernel-lib/dist/units.js';
import { Random } from '../kernel-lib/dist/util/random.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const env = (k, d) => process.env[k] ?? d;
const on = (k, d = '1') => env(k, d) === '1';
const fmt = (v, d = 3) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(d) : v.toFixed(d));
const meanSd = (xs) => {
  const m = xs.reduce((s, v) => s + v, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / (xs.length - 1)) : 0;
  return [m, sd];
};
await initBackend();

const reference = env('AG_REF')
  ? readDataset(env('AG_REF'))
  : (await referenceData({ system: 'alanine-dipeptide', ns: 2, replicas: 4, saveEveryPs: 1, seed: 1 })).trajectory;
const samples = autograinSamples(reference, { needForces: true, units: env('AG_UNITS', 'auto') });
const top = samples.topology;
const nA = samples.masses.length;
console.log(`alanine dipeptide: ${samples.frames} frames, ${nA} atoms${samples.units ? ` in ${Math.max(...samples.units) + 1} units (heavy atoms with their constrained hydrogens)` : ''}`);

if (on('AG_SWEEP')) {
  const beadCounts = env('AG_BEADS', '2,3,4,5,6,7,8,9,10').split(',').map(Number);
  const seeds = env('AG_SEEDS', '1,2,3').split(',').map(Number);
  const rhos = [0, Number(env('AG_RHO', 3e-8))];
  const table = [];
  console.log('beads  ρ        reconstruction nm² (Å²), mean ± sd      checks passed   mapped-force variance (kJ/mol/nm)²   s/fit');
  for (const beads of beadCounts) {
    for (const rho of rhos) {
      const rows = [];
      for (const seed of seeds) {
        const t0 = performance.now();
        const fit = await fitAutograin(samples, { beads, seed, rho });
        const seconds = (performance.now() - t0) / 1000;
        const check = checkAssignment(fit.groups, top.bonds, top.atoms.map((a) => a.element));
        const variance = mappedForceVariance(basicForceMap(groupMap(nA, fit.groups, { weighting: 'geometry' })), samples.forces);
        rows.push({ seed, reconstruction: fit.reconstruction.validation, ok: check.ok, disconnected: check.disconnected.length, strayHydrogens: check.strayHydrogens.length, variance, seconds, groups: fit.groups.map((g) => g.map((i) => `${top.atoms[i].residue}:${top.atoms[i].name}`).join(' ')) });
        fit.model.dispose();
      }
      const [m, sd] = meanSd(rows.map((r) => r.reconstruction));
      const [vm, vsd] = meanSd(rows.map((r) => r.variance));
      const passed = rows.filter((r) => r.ok).length;
      console.log(`${String(beads).padStart(5)}  ${rho.toExponential(0).padEnd(7)}  ${fmt(m, 5)} ± ${fmt(sd, 5)} (${fmt(100 * m)} ± ${fmt(100 * sd)})   ${passed}/${rows.length} (stray H ${rows.map((r) => r.strayHydrogens).join(',')}; disconnected ${rows.map((r) => r.disconnected).join(',')})   ${fmt(vm, 3)} ± ${fmt(vsd, 2)}   ${fmt(meanSd(rows.map((r) => r.seconds))[0], 1)}`);
      table.push({ beads, rho, rows });
    }
  }
  const six = table.filter((t) => t.beads === 6);
  for (const t of six) for (const r of t.rows) console.log(`6 beads, ρ ${t.rho}, seed ${r.seed}: ${r.groups.join(' | ')}`);
  if (env('AG_OUT')) writeFileSync(env('AG_OUT'), JSON.stringify(table, null, 1));
}

if (on('AG_TIMING')) {
  const beads = 6;
  const batch = 256;
  const n = Math.floor(samples.frames / batch) * batch;
  const rho = 3e-8;
  const dir = mkdtempSync(join(tmpdir(), 'cglab-autograin-'));
  const model = new CgAutoencoder(beads, samples.masses, { seed: 1 });
  const noise = model.drawNoise(new Random(2));
  const x = samples.positions.subarray(0, n * nA * 3);
  const f = samples.forces.subarray(0, n * nA * 3);
  for (const [name, data, shape] of [['x', x, [n, nA, 3]], ['f', f, [n, nA, 3]], ['masses', samples.masses, [nA]], ['logits', model.logits.dataSync(), [nA, beads]], ['decoder', model.decoder.dataSync(), [nA, beads]], ['noise', noise, [nA, beads]]]) {
    writeNpy(join(dir, `${name}.npy`), { dtype: data instanceof Float64Array ? '<f8' : '<f4', shape, data });
  }
  // The loss on one fixed noise, here and in PyTorch (same parameters): the two compute one model.
  const ours = tf.tidy(() => {
    const c = model.assignment(noise, 1, true);
    const l = model.losses(tf.tensor3d(x.subarray(0, batch * nA * 3), [batch, nA, 3]), tf.tensor3d(f.subarray(0, batch * nA * 3), [batch, nA, 3]), c);
    return [l.reconstruction.dataSync()[0], l.force.dataSync()[0]];
  });
  model.dispose();
  // fitAutograin's own steps over one epoch (validation and the least-squares decoder left out
  // of the clock, as PyTorch does none): the time from the first step's end to the last's, per
  // step, times the steps of an epoch, in the second epoch of the second fit.
  // A first fit warms the JIT and tfjs's kernels; the second is timed.
  let stamps = [];
  for (let run = 0; run < 2; run++) {
    stamps = [];
    const fit = await fitAutograin({ ...samples, units: undefined, positions: x, forces: f, frames: n }, {
      beads, epochs: 2, rho, forceWarmup: 0, batchSize: batch, validationFraction: 1 / n,
      onProgress: (p) => { if (p.kind === 'step' && p.epoch === 2) stamps.push(performance.now()); },
    });
    fit.model.dispose();
  }
  const steps = Math.ceil((n - 1) / batch);
  const epochMs = ((stamps[stamps.length - 1] - stamps[0]) / (stamps.length - 1)) * steps;
  const peer = JSON.parse(execFileSync('/usr/bin/python3', [join(here, 'autograin_torch.py'), dir, String(batch), String(rho), '1'], { encoding: 'utf8' }));
  console.log(`loss on one noise, batch ${batch}: reconstruction cglab ${fmt(ours[0], 6)} PyTorch ${fmt(peer.reconstruction, 6)} nm²; force cglab ${fmt(ours[1], 6)} PyTorch ${fmt(peer.force, 6)} (kJ/mol/nm)²`);
  console.log(`epoch of ${n} frames (batch ${batch}, ${beads} beads, ${nA} atoms): cglab ${fmt(epochMs, 1)} ms (fitAutograin's steps), PyTorch 1 thread ${fmt(peer.epoch_ms, 1)} ms (ratio ${fmt(epochMs / peer.epoch_ms, 2)})`);
}

const cli = fileURLToPath(new URL('../kernel-lib/bin/cglab.mjs', import.meta.url));
const run = (args) => {
  const t0 = performance.now();
  execFileSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - t0) / 1000;
};
/** Jensen–Shannon divergence of two samples' 40-bin histograms on their joint range. */
const jsOf = (a, b, bins = 40) => {
  const lo = Math.min(...a, ...b);
  const hi = Math.max(...a, ...b) + 1e-9;
  const grid = { min: lo, max: hi, bins };
  const norm = (h) => { const s = h.reduce((t, v) => t + v, 0); return h.map((v) => v / s); };
  return jsDivergence(norm(histogram1d(a, grid)), norm(histogram1d(b, grid)));
};
const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;

if (on('AG_FM')) {
  // Force matching on the learnt 6-bead map, end to end through the command line: the map of
  // the lowest held-out objective over seeds 1–3 (ρ = AG_RHO), `cglab train forcematching` with
  // CGnet at its defaults, `cglab simulate` (AG_FM_REPLICAS 50 × AG_FM_PS 200 ps, first tenth
  // dropped), then the CG bond, angle and dihedral distributions against the mapped reference.
  const rho = Number(env('AG_RHO', 3e-8));
  let best;
  for (const seed of [1, 2, 3]) {
    const fit = await fitAutograin(samples, { beads: 6, seed, rho });
    const score = fit.reconstruction.validation + rho * (fit.force ?? 0);
    if (!best || score < best.score) best = { fit, score, seed };
  }
  const dir = mkdtempSync(join(tmpdir(), 'cglab-autograin-fm-'));
  const spec = groupsMapSpecOf(best.fit, top);
  writeFileSync(join(dir, 'map.json'), JSON.stringify(spec));
  console.log(`learnt map (seed ${best.seed}): ${best.fit.groups.map((g) => g.map((i) => `${top.atoms[i].residue}:${top.atoms[i].name}`).join(' ')).join(' | ')}; CG bonds ${spec.bonds.map((b) => b.join('-')).join(', ')}`);
  const refFile = env('AG_REF') ?? (await referenceData({ system: 'alanine-dipeptide', ns: 2, replicas: 4, saveEveryPs: 1, seed: 1 })).file;
  const trainS = run(['train', 'forcematching', '--data', refFile, '--map', join(dir, 'map.json'), '--model', env('AG_FM_MODEL', 'cgnet'), '--out', join(dir, 'model')]);
  const replicas = Number(env('AG_FM_REPLICAS', 50));
  const ps = Number(env('AG_FM_PS', 200));
  const simS = run(['simulate', '--model', join(dir, 'model'), '--replicas', String(replicas), '--ps', String(ps), '--save-every-ps', '0.5', '--seed', '1', '--out', join(dir, 'cg.npz')]);
  console.log(`train forcematching ${fmt(trainS, 0)} s; simulate ${replicas} × ${ps} ps ${fmt(simS, 0)} s`);
  const { map, topology: cgTop } = resolveMap(spec, top);
  const mapped = map.apply(reference.positions);
  const cgRun = readNpz(join(dir, 'cg.npz')).get('positions');
  const [R, F, nb] = cgRun.shape;
  const skip = Math.floor(F / 10);
  const kept = new Float64Array(R * (F - skip) * nb * 3);
  for (let r = 0; r < R; r++) kept.set(cgRun.data.subarray((r * F + skip) * nb * 3, (r + 1) * F * nb * 3), r * (F - skip) * nb * 3);
  for (const [i, j] of cgTop.bonds) {
    const a = distances(mapped, nb, [i, j]);
    const b = distances(kept, nb, [i, j]);
    console.log(`bond ${i}-${j}: mean mapped ${fmt(mean(a), 4)} nm, CG ${fmt(mean(b), 4)} nm; JS ${fmt(jsOf(a, b), 4)}`);
  }
  const bonded = (a, b) => cgTop.bonds.some(([i, j]) => (i === a && j === b) || (i === b && j === a));
  const paths = [];
  for (let j = 0; j < nb; j++) for (let i = 0; i < nb; i++) for (let l = i + 1; l < nb; l++) {
    if (i !== j && l !== j && bonded(i, j) && bonded(j, l)) {
      const a = angles(mapped, nb, [i, j, l]);
      console.log(`angle ${i}-${j}-${l}: mean mapped ${fmt(mean(degrees(a)), 1)}°, CG ${fmt(mean(degrees(angles(kept, nb, [i, j, l]))), 1)}°; JS ${fmt(jsOf(a, angles(kept, nb, [i, j, l])), 4)}`);
      for (let m = 0; m < nb; m++) if (m !== i && m !== j && bonded(l, m)) paths.push([i, j, l, m]);
      for (let m = 0; m < nb; m++) if (m !== j && m !== l && bonded(m, i)) paths.push([m, i, j, l]);
    }
  }
  // The bead dihedrals nearest to φ and ψ: largest circular correlation over the reference frames.
  const phi = dihedrals(reference.positions, nA, ALANINE_DIPEPTIDE_PHI);
  const psi = dihedrals(reference.positions, nA, ALANINE_DIPEPTIDE_PSI);
  const circ = (u, v) => {
    const mu = Math.atan2(mean(u.map(Math.sin)), mean(u.map(Math.cos)));
    const mv = Math.atan2(mean(v.map(Math.sin)), mean(v.map(Math.cos)));
    let sab = 0, saa = 0, sbb = 0;
    for (let k = 0; k < u.length; k++) { const a = Math.sin(u[k] - mu), b = Math.sin(v[k] - mv); sab += a * b; saa += a * a; sbb += b * b; }
    return sab / Math.sqrt(saa * sbb);
  };
  const unique = [...new Map(paths.map((p) => [p[0] < p[3] ? p.join() : [...p].reverse().join(), p])).values()];
  const grid = { min: -Math.PI, max: Math.PI, bins: 36 };
  const pick = (target, name) => {
    const scored = unique.map((q) => ({ q, c: Math.abs(circ(dihedrals(mapped, nb, q), target)) })).sort((a, b) => b.c - a.c);
    if (!scored.length) return undefined;
    const { q, c } = scored[0];
    const a = dihedrals(mapped, nb, q);
    const b = dihedrals(kept, nb, q);
    const norm = (h) => { const s = h.reduce((t, v) => t + v, 0); return h.map((v) => v / s); };
    const pa = norm(histogram1d(a, grid)), pb = norm(histogram1d(b, grid));
    console.log(`dihedral ${q.join('-')} (|circular correlation| with ${name} ${fmt(c, 3)}): KL(mapped ‖ CG) ${fmt(klDivergence(pa, pb), 4)} over 36 bins (CG floored at 1e-6), JS ${fmt(jsDivergence(pa, pb), 4)}`);
    return q;
  };
  const qPhi = pick(phi, 'φ');
  const qPsi = pick(psi, 'ψ');
  if (qPhi && qPsi && qPhi.join() !== qPsi.join()) {
    const g2 = { min: -Math.PI, max: Math.PI, bins: 36 };
    const h = (x, q1, q2) => { const c = histogram2d(dihedrals(x, nb, q1), dihedrals(x, nb, q2), g2, g2); const s = c.reduce((t, v) => t + v, 0); return c.map((v) => v / s); };
    const pa = h(mapped, qPhi, qPsi), pb = h(kept, qPhi, qPsi);
    const common = klDivergenceCommon(pa, pb);
    console.log(`2-D free energy on the two dihedrals (36 × 36): KL(mapped ‖ CG) ${fmt(klDivergence(pa, pb), 4)} over every mapped bin (CG floored at 1e-6), ${fmt(common.kl, 4)} over common bins (coverage ${fmt(common.coverage, 3)})`);
  }
  best.fit.model.dispose();
}

if (on('AG_HEX')) {
  // United-atom n-hexane liquid (AG_HEX_NS 0.1 ns, frames every ps, cached): 2- and 3-bead maps
  // per molecule from seeds 1–3 (the lowest held-out reconstruction kept); the 2-bead one through
  // `cglab fit pairs --method fm --beads` (pair tables + a harmonic bond, cut-off 1.2 nm) and
  // `cglab simulate` (AG_HEX_PS 100 ps); RDFs (rms of g_CG − g_mapped over 0.3 nm to the cut-off),
  // the bond between a molecule's beads, and the simulated ns per wall second of both.
  const hexOptions = { system: 'hexane-liquid', ns: Number(env('AG_HEX_NS', 0.1)), saveEveryPs: 1, replicas: 1, seed: 1, equilibratePs: 20 };
  const hex = await referenceData(hexOptions);
  const hs = autograinSamples(hex.trajectory, { needForces: true });
  const mol = hs.topology;
  console.log(`hexane: ${hs.frames} frames × ${hs.molecules} molecules of ${mol.atoms.length} sites`);
  const fits = {};
  for (const beads of [2, 3]) {
    let halves = 0;
    for (const seed of [1, 2, 3]) {
      const fit = await fitAutograin(hs, { beads, seed });
      const contiguous = fit.groups.every((g) => g.every((i, k) => k === 0 || i === g[k - 1] + 1));
      if (beads === 2 && fit.groups.map((g) => g.join()).sort().join('|') === '0,1,2|3,4,5') halves++;
      console.log(`${beads} beads, seed ${seed}: ${fit.groups.map((g) => g.map((i) => mol.atoms[i].name).join(' ')).join(' | ')}; reconstruction ${fmt(100 * fit.reconstruction.validation, 4)} Å²${contiguous ? '' : ' (a bead is not a contiguous stretch of the chain)'}`);
      if (!fits[beads] || fit.reconstruction.validation < fits[beads].reconstruction.validation) fits[beads] = fit;
    }
    if (beads === 2) console.log(`2 beads: ${halves}/3 seeds give the two halves C1–C3 | C4–C6`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'cglab-autograin-hexane-'));
  const spec = pairBeadSpecOf(fits[2], mol);
  writeFileSync(join(dir, 'beads.json'), JSON.stringify(spec));
  console.log(`CG model on the kept 2-bead map: beads ${JSON.stringify(spec)}`);
  const cutoff = 1.2;
  const fitS = run(['fit', 'pairs', '--data', hex.file, '--beads', join(dir, 'beads.json'), '--method', 'fm', '--cutoff', String(cutoff), '--out', join(dir, 'fm')]);
  const cgPs = Number(env('AG_HEX_PS', 100));
  const simS = run(['simulate', '--model', join(dir, 'fm'), '--replicas', '1', '--ps', String(cgPs), '--seed', '1', '--out', join(dir, 'cg.npz')]);
  const aaS = run(['generate', 'hexane-liquid', '--ns', '0.01', '--save-every-ps', '1', '--equilibrate-ps', '0', '--replicas', '1', '--seed', '2', '--no-cache', '--out', join(dir, 'aa.npz')]);
  const liquid = liquidFromTrajectory(hex.trajectory, 'hexane', { requireForces: true, beads: spec });
  const target = liquidRdf(liquid.positions, liquid.frames, liquid.box, liquid, cutoff, 0.01);
  const cg = readDataset(join(dir, 'cg.npz'));
  const cgBox = Float64Array.from({ length: 3 * cg.nFrames }, (_, i) => cg.box[9 * Math.floor(i / 3) + 4 * (i % 3)]);
  const cgRdf = liquidRdf(cg.positions, cg.nFrames, cgBox, liquid, cutoff, 0.01);
  target.pairs.forEach((p, k) => {
    const one = (g) => ({ ...g, g: [g.g[k]], pairs: [p] });
    console.log(`RDF ${p}: rms of g_CG − g_mapped over 0.3–${cutoff} nm ${fmt(rdfRms(one(cgRdf), one(target), 0.3, cutoff), 4)}; first peak mapped ${fmt(Math.max(...target.g[k]), 3)}, CG ${fmt(Math.max(...cgRdf.g[k]), 3)}`);
  });
  // The bond between a molecule's two beads, mapped against CG.
  const bondOf = (x, frames) => {
    const out = [];
    for (let f = 0; f < frames; f++) for (let m = 0; m < liquid.n / 2; m++) {
      const o = f * liquid.n * 3 + 6 * m;
      let d2 = 0;
      for (let c = 0; c < 3; c++) { const l = liquid.box[c]; let d = x[o + 3 + c] - x[o + c]; d -= l * Math.round(d / l); d2 += d * d; }
      out.push(Math.sqrt(d2));
    }
    return out;
  };
  const bm = bondOf(liquid.positions, liquid.frames);
  const bc = bondOf(cg.positions, cg.nFrames);
  console.log(`intramolecular bead distance: mapped ${fmt(mean(bm), 4)} nm, CG ${fmt(mean(bc), 4)} nm; JS ${fmt(jsOf(bm, bc), 4)}`);
  console.log(`CG run at the all-atom box (${fmt(liquid.box[0], 4)} nm, so the density is the all-atom one by construction: ${fmt((hs.molecules * 86.178) / 6.02214076e23 / (liquid.box[0] ** 3 * 1e-21), 4)} g/cm³)`);
  console.log(`fit pairs ${fmt(fitS, 1)} s; CG ${cgPs} ps in ${fmt(simS, 1)} s (${fmt(cgPs / simS, 2)} ps/s), all-atom 10 ps in ${fmt(aaS, 1)} s (${fmt(10 / aaS, 3)} ps/s), both with the command's start-up: CG speed-up ${fmt((cgPs / simS) / (10 / aaS), 1)}× per simulated ns`);
  for (const f of Object.values(fits)) f.model.dispose();
}
