// GROMACS TRR and XTC files written by mdtraj 1.9.7 (Debian's python3-mdtraj, whose XTC codec is
// xdrfile's, the one GROMACS uses) are read by cglab with the values mdtraj reads back: TRR
// positions, velocities and forces bit for bit (float32), XTC positions bit for bit (the same
// decoder arithmetic) and within 0.5 / precision of what was written; time, step and box; frame
// ranges and streamed blocks equal mdtraj's seek + read.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from 'cglab/io/npy';
import { openTrrWriter, readTrr, streamTrr, writeTrr } from 'cglab/io/trr';
import { readXtc, streamXtc, xtcIndex, type XtcBlock } from 'cglab/io/xtc';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'cglab-gmx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function python(script: string): any {
  return JSON.parse(execFileSync(PYTHON, ['-c', script, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 }));
}
/** An array mdtraj saved as NPY, flat. */
const npy = (name: string) => readNpy(join(dir, `${name}.npy`)).data as Float32Array;
const sameBits = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}[${i}]: ${actual[i]} vs mdtraj's ${expected[i]}`);
  }
};

const WRITE = String.raw`
import sys, json, struct, numpy as np
from mdtraj.formats import TRRTrajectoryFile, XTCTrajectoryFile
out = sys.argv[1]
rng = np.random.RandomState(2024)
def save(name, a): np.save(out + '/' + name + '.npy', np.ascontiguousarray(a, dtype=np.float32))

# TRR: 40 atoms, 6 frames of x, v and f, a triclinic box that changes, times and steps.
n, F = 40, 6
x = (rng.rand(F, n, 3) * 4 - 0.5).astype(np.float32)
v = rng.randn(F, n, 3).astype(np.float32)
f = (rng.randn(F, n, 3) * 800).astype(np.float32)
box = np.array([[[4 + 0.01 * k, 0, 0], [0.5, 4.2, 0], [-0.3, 0.4, 4.4]] for k in range(F)], np.float32)
time = (0.002 * 500 * np.arange(F) + 10).astype(np.float32)
step = (500 * np.arange(F) + 5000).astype(np.int32)
with TRRTrajectoryFile(out + '/full.trr', 'w') as t:
    t._write(x, time, step, box, np.zeros(F, np.float32), v, f)
with TRRTrajectoryFile(out + '/full.trr') as t:
    rx, rt, rs, rb, rl, rv, rf = t._read(F, None, True, True)
trr_steps = [int(s) for s in rs]
for name, a in [('trr_x', rx), ('trr_v', rv), ('trr_f', rf), ('trr_box', rb), ('trr_time', rt)]: save(name, a)
# Frame subsets: 2 frames with x, v, f; 2 with x only; 2 with x and f, as one file.
with TRRTrajectoryFile(out + '/a.trr', 'w') as t: t._write(x[:2], time[:2], step[:2], box[:2], np.zeros(2, np.float32), v[:2], f[:2])
with TRRTrajectoryFile(out + '/b.trr', 'w') as t: t._write(x[2:4], time[2:4], step[2:4], box[2:4], np.zeros(2, np.float32), None, None)
with TRRTrajectoryFile(out + '/c.trr', 'w') as t: t._write(x[4:], time[4:], step[4:], box[4:], np.zeros(2, np.float32), None, f[4:])
with open(out + '/mixed.trr', 'wb') as m:
    for p in 'abc': m.write(open(out + '/' + p + '.trr', 'rb').read())
save('x_written', x); save('f_written', f)

# XTC (precision 1000): 400 waters (O, H, H within 0.1 nm: runs and the swap) and 300 lone atoms.
F = 12
O = rng.rand(F, 400, 1, 3) * 5
W = np.concatenate([O, O + 0.06 * rng.randn(F, 400, 1, 3), O + 0.06 * rng.randn(F, 400, 1, 3)], axis=2).reshape(F, 1200, 3)
X = np.concatenate([W, rng.rand(F, 300, 3) * 5 - 1], axis=1).astype(np.float32)
xbox = np.array([[[5 + 0.02 * k, 0, 0], [0, 5.1, 0], [0.7, -0.4, 5.2]] for k in range(F)], np.float32)
xtime = (np.arange(F) * 2.5).astype(np.float32)
xstep = (np.arange(F) * 1250).astype(np.int32)
with XTCTrajectoryFile(out + '/water.xtc', 'w') as t: t.write(X, time=xtime, step=xstep, box=xbox)
with XTCTrajectoryFile(out + '/water.xtc') as t: rx, rt, rs, rb = t.read()
save('xtc_x', rx); save('xtc_box', rb); save('xtc_time', rt); save('xtc_written', X)
with XTCTrajectoryFile(out + '/water.xtc') as t:
    t.seek(5); sx, st, ss, sb = t.read(4)
save('xtc_seek', sx)

# XTC at precision 100: mdtraj writes precision 1000 only, so write X / 10 at 1000 (integers
# round(X · 100)) and set each frame's precision field to 100; mdtraj decodes that file as it is.
with XTCTrajectoryFile(out + '/p100.xtc', 'w') as t: t.write(X / 10, time=xtime, step=xstep, box=xbox)
b = bytearray(open(out + '/p100.xtc', 'rb').read())
at = 0
while at < len(b):
    struct.pack_into('>f', b, at + 56, 100.0)
    count = struct.unpack_from('>i', b, at + 88)[0]
    at += 92 + count + (-count % 4)
open(out + '/p100.xtc', 'wb').write(bytes(b))
with XTCTrajectoryFile(out + '/p100.xtc') as t: px, _, _, _ = t.read()
save('p100_x', px)

# Coordinates spread over 30 000 nm (integer ranges beyond 2^24: three plain bit fields per atom),
# and 7 atoms (stored as plain floats).
Y = np.concatenate([rng.rand(3, 20, 3) * 3, 30000 * rng.rand(3, 20, 3)], axis=1).astype(np.float32)
with XTCTrajectoryFile(out + '/wide.xtc', 'w') as t: t.write(Y)
with XTCTrajectoryFile(out + '/wide.xtc') as t: wx, _, _, _ = t.read()
save('wide_x', wx); save('wide_written', Y)
S = (rng.rand(4, 7, 3) * 3).astype(np.float32)
with XTCTrajectoryFile(out + '/seven.xtc', 'w') as t: t.write(S)
save('seven_written', S)
print(json.dumps({'trr_step': trr_steps, 'xtc_step': [int(s) for s in rs], 'seek_step': [int(s) for s in ss]}))
`;

const ref = python(WRITE);

test('TRR from mdtraj: positions, velocities and forces bit for bit, box, time and step', () => {
  const t = readTrr(join(dir, 'full.trr'));
  assert.equal(t.nFrames, 6);
  assert.equal(t.nAtoms, 40);
  sameBits(t.positions, npy('trr_x'), 'positions');
  sameBits(t.velocities!, npy('trr_v'), 'velocities');
  sameBits(t.forces!, npy('trr_f'), 'forces');
  sameBits(t.box!, npy('trr_box'), 'box');
  sameBits(t.time, npy('trr_time'), 'time');
  assert.deepEqual(Array.from(t.step), ref.trr_step);
  // What was written, not only what mdtraj reads back: float32 in, float32 out.
  sameBits(t.positions, npy('x_written'), 'positions as written');
  sameBits(t.forces!, npy('f_written'), 'forces as written');
});

test('TRR frame subsets written by mdtraj: x, v, f in some frames only; ranges and streamed blocks', async () => {
  const path = join(dir, 'mixed.trr');
  const x = npy('x_written');
  const f = npy('f_written');
  const per = 40 * 3;
  const all = readTrr(path);
  assert.deepEqual(Array.from(all.frames), [0, 1, 2, 3, 4, 5]);
  sameBits(all.positions, x, 'positions of every frame');
  assert.equal(all.forces, undefined, 'frames 2 and 3 have no forces');
  assert.equal(all.velocities, undefined);
  const withForces = readTrr(path, { require: ['forces'] });
  assert.deepEqual(Array.from(withForces.frames), [0, 1, 4, 5]);
  sameBits(withForces.forces!, Float32Array.from([...f.subarray(0, 2 * per), ...f.subarray(4 * per)]), 'forces of the frames with forces');
  const blocks = [];
  for await (const b of streamTrr(path, { start: 1, stop: 6, chunk: 2, require: ['forces'] })) blocks.push(b);
  assert.deepEqual(blocks.map((b) => Array.from(b.frames)), [[1, 4], [5]]);
  sameBits(blocks[1].positions, x.subarray(5 * per), 'streamed frame 5');
  sameBits(blocks[1].forces!, f.subarray(5 * per), 'streamed forces of frame 5');
});

test('XTC from mdtraj at precision 1000: positions bit for bit, within 0.5/1000 nm of those written; box, time, step', () => {
  const t = readXtc(join(dir, 'water.xtc'));
  assert.equal(t.nFrames, 12);
  assert.equal(t.nAtoms, 1500);
  sameBits(t.positions, npy('xtc_x'), 'positions');
  sameBits(t.box!, npy('xtc_box'), 'box');
  sameBits(t.time, npy('xtc_time'), 'time');
  assert.deepEqual(Array.from(t.step), ref.xtc_step);
  const written = npy('xtc_written');
  let worst = 0;
  for (let i = 0; i < written.length; i++) {
    const d = Math.abs(t.positions[i] - written[i]);
    worst = Math.max(worst, d);
    assert.ok(d <= 0.5 / 1000 + 4 * 2 ** -24 * Math.abs(written[i]), `position ${i}: ${t.positions[i]} vs written ${written[i]}`);
  }
  assert.ok(worst > 0.4 / 1000, `the rounding to 0.001 nm is seen (worst ${worst})`);
  assert.deepEqual(xtcIndex(join(dir, 'water.xtc')).summary.precision, 1000);
});

test('XTC at precision 100, integer ranges beyond 2^24 and ≤ 9 atoms decode as mdtraj decodes them', () => {
  const p = readXtc(join(dir, 'p100.xtc'));
  sameBits(p.positions, npy('p100_x'), 'precision-100 positions');
  assert.deepEqual(Array.from(new Set(p.precision)), [100]);
  const written = npy('xtc_written');
  for (let i = 0; i < written.length; i++) {
    assert.ok(Math.abs(p.positions[i] - written[i]) <= 0.5 / 100 + 4 * 2 ** -24 * Math.abs(written[i]), `position ${i}: ${p.positions[i]} vs ${written[i]}`);
  }
  sameBits(readXtc(join(dir, 'wide.xtc')).positions, npy('wide_x'), 'positions over 30 000 nm');
  const seven = readXtc(join(dir, 'seven.xtc'));
  sameBits(seven.positions, npy('seven_written'), '7 atoms stored as floats');
  assert.equal(xtcIndex(join(dir, 'seven.xtc')).summary.precision, 'single');
});

test('XTC frame ranges and streamed blocks equal mdtraj seek + read', async () => {
  const path = join(dir, 'water.xtc');
  const part = readXtc(path, { start: 5, stop: 9 });
  sameBits(part.positions, npy('xtc_seek'), 'frames 5-8');
  assert.deepEqual(Array.from(part.step), ref.seek_step);
  const blocks: XtcBlock[] = [];
  for await (const b of streamXtc(path, { start: 5, stop: 9, chunk: 3 })) blocks.push(b);
  assert.deepEqual(blocks.map((b) => [b.start, b.nFrames]), [[5, 3], [8, 1]]);
  sameBits(Float32Array.from([...blocks[0].positions, ...blocks[1].positions]), npy('xtc_seek'), 'streamed frames 5-8');
});

// cglab's TRR writer against its peers: mdtraj reads the file back bit for bit, `gmx check`
// accepts it and counts its frames, and `gmx trjconv` copies it to a TRR of the same values.
const GMX = '/usr/bin/gmx';
const haveGmx = existsSync(GMX);
if (!haveGmx) console.log(`# gmx arms skipped: ${GMX} is missing (apt-get install gromacs)`);
/** Run gmx; its stdout and stderr together (gmx check prints its table on stderr). */
const gmx = (args: string[], input = '') => {
  const r = spawnSync(GMX, ['-quiet', ...args], { cwd: dir, input, encoding: 'utf8', env: { ...process.env, GMX_MAXBACKUP: '-1' } });
  assert.equal(r.status, 0, `gmx ${args.join(' ')}:\n${r.stderr}`);
  return r.stdout + r.stderr;
};

/** 40 atoms, 6 frames of x, v, f, a changing triclinic box, times and steps: mdtraj's TRR from above, as cglab read it. */
const written = () => readTrr(join(dir, 'full.trr'));

const READ_BACK = String.raw`
import sys, numpy as np
from mdtraj.formats import TRRTrajectoryFile
out, name = sys.argv[1], sys.argv[2]
with TRRTrajectoryFile(out + '/' + name + '.trr') as t:
    x, time, step, box, lam, v, f = t._read(len(t), None, True, True)
for key, a in [('x', x), ('v', v), ('f', f), ('box', box), ('time', time)]: np.save(out + '/' + name + '_' + key + '.npy', np.ascontiguousarray(a, dtype=np.float32))
print('[' + ','.join(str(int(s)) for s in step) + ']')
`;

test('cglab writes TRR that mdtraj reads back bit for bit, in single and double precision', () => {
  const t = written();
  for (const precision of ['single', 'double'] as const) {
    const name = `cglab_${precision}`;
    writeTrr(join(dir, `${name}.trr`), t, { precision });
    const steps = JSON.parse(execFileSync(PYTHON, ['-c', READ_BACK, dir, name], { encoding: 'utf8' }));
    assert.deepEqual(steps, ref.trr_step);
    sameBits(npy(`${name}_x`), t.positions, `${precision} positions`);
    sameBits(npy(`${name}_v`), t.velocities!, `${precision} velocities`);
    sameBits(npy(`${name}_f`), t.forces!, `${precision} forces`);
    sameBits(npy(`${name}_box`), t.box!, `${precision} box`);
    sameBits(npy(`${name}_time`), t.time, `${precision} time`);
  }
});

test('gmx check accepts cglab TRR files (whole and streamed) and counts their frames', { skip: !haveGmx && `${GMX} is missing` }, () => {
  const count = (file: string) => {
    const out = gmx(['check', '-f', file]);
    const coords = /^Coords\s+(\d+)/m.exec(out);
    const forces = /^Forces\s+(\d+)/m.exec(out);
    assert.ok(coords && forces, `gmx check's table of ${file}:\n${out}`);
    return [Number(coords[1]), Number(forces[1])];
  };
  writeTrr(join(dir, 'cglab_single.trr'), written());
  assert.deepEqual(count('cglab_single.trr'), [6, 6]);
  // 2000 frames in blocks of 300, forces in every frame.
  const w = openTrrWriter(join(dir, 'cglab_stream.trr'));
  const n = 40;
  for (let b0 = 0; b0 < 2000; b0 += 300) {
    const m = Math.min(300, 2000 - b0);
    const positions = Float32Array.from({ length: m * n * 3 }, (_, i) => (i % 97) / 31);
    w.write({ nFrames: m, nAtoms: n, positions, forces: positions.map((v) => -10 * v), step: Float64Array.from({ length: m }, (_, i) => 10 * (b0 + i)), time: Float32Array.from({ length: m }, (_, i) => 0.02 * (b0 + i)) });
  }
  w.close();
  assert.deepEqual(count('cglab_stream.trr'), [2000, 2000]);
});

test('gmx trjconv copies a cglab TRR to a TRR with the same values', { skip: !haveGmx && `${GMX} is missing` }, () => {
  const t = written();
  writeTrr(join(dir, 'cglab_single.trr'), t);
  gmx(['trjconv', '-f', 'cglab_single.trr', '-o', 'trjconv.trr', '-vel', '-force'], '0\n');
  const back = readTrr(join(dir, 'trjconv.trr'));
  for (const name of ['positions', 'velocities', 'forces', 'box', 'time'] as const) sameBits(back[name]!, t[name]!, `trjconv ${name}`);
  assert.deepEqual(Array.from(back.step), ref.trr_step);
});
