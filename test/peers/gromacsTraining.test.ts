// Force matching from trajectories GROMACS wrote: scripts/gromacs_alanine.sh runs 3 × 10 ps of
// capped alanine dipeptide (amber99sb-ildn, vacuum, sd at 300 K) and saves the frames as TRR
// files and, read by mdtraj, as one NPZ. `cglab train forcematching` on the TRR files (listed
// after one --data, or as a quoted glob) and on the NPZ must train the same model: the same
// frames in the same order give identical losses at every epoch and identical parameters.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDataset } from 'cglab/io/dataset';
import { readPdb } from 'cglab/io/pdb';
import { readTrr } from 'cglab/io/trr';

const GMX = '/usr/bin/gmx';
const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));
const script = fileURLToPath(new URL('../../../scripts/gromacs_alanine.sh', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cglab-gmx-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);
const skip = !existsSync(GMX) && `${GMX} is missing (apt-get install gromacs): no GROMACS-written runs to train from`;
if (skip) console.log(`# gromacsTraining skipped: ${skip}`);

const TRAIN = ['--map', 'backbone5', '--model', 'cgnet', '--epochs', '2', '--temperature', '300', '--seed', '3', '--force-map', 'basic'];

/** Train into `out`; the training record and the saved model. */
function train(out: string, data: string[]) {
  const r = spawnSync(bin, ['train', 'forcematching', '--data', ...data, '--top', at('data/top.pdb'), ...TRAIN, '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, `cglab train forcematching --data ${data.join(' ')}:\n${r.stderr}`);
  const info = JSON.parse(readFileSync(join(out, 'forcematching.json'), 'utf8'));
  const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
  return { record: info.record, frames: info.data.frames as number, model, stderr: r.stderr };
}

/** What must agree between two runs on the same frames: every loss, the kept epoch, the parameters. */
function assertSameTraining(a: ReturnType<typeof train>, b: ReturnType<typeof train>, what: string) {
  assert.equal(a.frames, b.frames, `${what}: frames`);
  assert.equal(a.record.initialValidationLoss, b.record.initialValidationLoss, `${what}: initial validation loss`);
  assert.equal(a.record.epochs.length, 2);
  a.record.epochs.forEach((e: Record<string, number>, k: number) => {
    const f = b.record.epochs[k];
    for (const key of ['epoch', 'trainLoss', 'validationLoss', 'learningRate']) assert.equal(e[key], f[key], `${what}: epoch ${k + 1} ${key}`);
  });
  assert.equal(a.record.bestEpoch, b.record.bestEpoch, `${what}: best epoch`);
  assert.equal(a.record.bestValidationLoss, b.record.bestValidationLoss, `${what}: best validation loss`);
  assert.deepEqual(a.model.config, b.model.config, `${what}: model config`);
  assert.deepEqual(a.model.tensors, b.model.tensors, `${what}: model parameters`);
}

test('scripts/gromacs_alanine.sh writes 3 GROMACS runs, a top.pdb with bonds and the same frames as NPZ; force matching from the TRR files and from the NPZ trains the same model', { skip, timeout: 180_000 }, () => {
  const t0 = Date.now();
  const run = spawnSync('bash', [script, at('data'), '3'], { encoding: 'utf8' });
  assert.equal(run.status, 0, `${script}:\n${run.stdout}\n${run.stderr}`);
  const seconds = (Date.now() - t0) / 1000;
  console.log(`# ${run.stdout.trim().split('\n').join('\n# ')} (script: ${seconds.toFixed(1)} s)`);
  assert.match(run.stdout, /frames\.npz: 303 frames of 22 atoms from 3 runs/);

  // GROMACS's names and order, with bonds; the atoms the backbone5 map takes are found.
  const top = readPdb(at('data/top.pdb')).topology!;
  assert.equal(top.atoms.length, 22);
  assert.equal(top.bonds.length, 21, 'CONECT records from gmx editconf -conect');
  for (const [residue, name] of [['ACE', 'C'], ['ALA', 'N'], ['ALA', 'CA'], ['ALA', 'C'], ['NME', 'N']]) {
    assert.equal(top.atoms.filter((a) => a.residue === residue && a.name === name).length, 1, `${residue} ${name}`);
  }
  // The NPZ holds the TRR files' float32 values, run 1 first.
  const npz = readDataset(at('data/frames.npz'), { top: at('data/top.pdb') });
  const runs = [1, 2, 3].map((r) => readTrr(at(`data/run${r}.trr`)));
  assert.deepEqual(runs.map((r) => r.nFrames), [101, 101, 101]);
  let offset = 0;
  for (const r of runs) {
    assert.ok(npz.positions.subarray(offset, offset + r.positions.length).every((v, i) => Object.is(v, r.positions[i])), 'positions equal the TRR files');
    assert.ok(npz.forces!.subarray(offset, offset + r.forces!.length).every((v, i) => Object.is(v, r.forces![i])), 'forces equal the TRR files');
    offset += r.positions.length;
  }

  const fromNpz = train(at('fm-npz'), [at('data/frames.npz')]);
  assert.match(fromNpz.stderr, /303 frames of .* → 5 beads \(C N CA C N\), basic force map, 300 K/);
  // Several files after one --data (the multi-file --data contract), and a quoted glob.
  const fromList = train(at('fm-list'), [1, 2, 3].map((r) => at(`data/run${r}.trr`)));
  assertSameTraining(fromList, fromNpz, 'run1.trr run2.trr run3.trr vs frames.npz');
  const fromGlob = train(at('fm-glob'), [at('data/run*.trr')]);
  assertSameTraining(fromGlob, fromNpz, "'run*.trr' vs frames.npz");
});
