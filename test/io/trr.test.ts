import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTrrWriter, readTrr, streamTrr, trrIndex, writeTrr, type TrrBlock } from 'cglab/io/trr';
import { makeTrajectory } from 'cglab/io/trajectory';
import { readCoordinates } from 'cglab/io/dataset';
import { fileInfo, formatInfo } from 'cglab/cli/info';

const dir = mkdtempSync(join(tmpdir(), 'cglab-trr-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

interface Frame {
  natoms: number;
  step: number;
  time: number;
  real?: 4 | 8;
  box?: number[];
  x?: number[];
  v?: number[];
  f?: number[];
  /** Header overrides by field name (ir_size, x_size, …) and magic. */
  set?: Record<string, number>;
}

/**
 * One TRR frame built field by field, independently of the reader: magic, version string,
 * 13 ints, time and lambda, then box, (no virial, no pressure), x, v, f as reals.
 */
function trrFrame(o: Frame): Buffer {
  const real = o.real ?? 4;
  const parts: Buffer[] = [];
  const int = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    parts.push(b);
  };
  const reals = (vs: number[]) => {
    const b = Buffer.alloc(real * vs.length);
    vs.forEach((v, i) => (real === 4 ? b.writeFloatBE(v, 4 * i) : b.writeDoubleBE(v, 8 * i)));
    parts.push(b);
  };
  const size = (a?: number[]) => (a ? a.length * real : 0);
  int(o.set?.magic ?? 1993);
  int(13);
  int(12);
  parts.push(Buffer.from('GMX_trn_file', 'latin1'));
  const fields: Record<string, number> = {
    ir_size: 0, e_size: 0, box_size: size(o.box), vir_size: 0, pres_size: 0, top_size: 0, sym_size: 0,
    x_size: size(o.x), v_size: size(o.v), f_size: size(o.f), natoms: o.natoms, step: o.step, nre: 0,
    ...o.set,
  };
  for (const name of ['ir_size', 'e_size', 'box_size', 'vir_size', 'pres_size', 'top_size', 'sym_size', 'x_size', 'v_size', 'f_size', 'natoms', 'step', 'nre']) int(fields[name]);
  reals([o.time, 0.25]);
  for (const a of [o.box, o.x, o.v, o.f]) if (a) reals(a);
  return Buffer.concat(parts);
}

const N = 3;
const values = (seed: number, n = 3 * N) => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.37) * 2.5 + 0.1 / 3);
const BOX = [3.1, 0, 0, 0.4, 3.2, 0, -0.3, 0.2, 3.3];
const full = (k: number, real: 4 | 8 = 4): Frame => ({ natoms: N, step: 100 * k, time: 0.2 * k + 1 / 3, real, box: BOX.map((b) => b + k / 100), x: values(k), v: values(k + 10), f: values(k + 20).map((v) => v * 1000) });
const f32 = (a: number[]) => a.map(Math.fround);

test('single precision: positions, velocities, forces, box, time and step of every frame, exactly as float32', () => {
  const frames = [0, 1, 2].map((k) => full(k));
  const t = readTrr(file('single.trr', Buffer.concat(frames.map(trrFrame))));
  assert.equal(t.nFrames, 3);
  assert.equal(t.nAtoms, N);
  assert.deepEqual(Array.from(t.positions), f32(frames.flatMap((f) => f.x!)));
  assert.deepEqual(Array.from(t.velocities!), f32(frames.flatMap((f) => f.v!)));
  assert.deepEqual(Array.from(t.forces!), f32(frames.flatMap((f) => f.f!)));
  assert.deepEqual(Array.from(t.box!), f32(frames.flatMap((f) => f.box!)));
  assert.deepEqual(Array.from(t.time), f32(frames.map((f) => f.time)));
  assert.deepEqual(Array.from(t.step), [0, 100, 200]);
  assert.deepEqual(Array.from(t.frames), [0, 1, 2]);
  assert.equal(t.provenance!.precision, 'single');
  assert.equal(t.units.force, 'kJ/mol/nm');
});

test('double precision: reals of 8 bytes, told from the section sizes, read and rounded to float32', () => {
  const frames = [0, 1].map((k) => full(k, 8));
  const path = file('double.trr', Buffer.concat(frames.map(trrFrame)));
  const t = readTrr(path);
  assert.deepEqual(Array.from(t.positions), f32(frames.flatMap((f) => f.x!)));
  assert.deepEqual(Array.from(t.forces!), f32(frames.flatMap((f) => f.f!)));
  assert.deepEqual(Array.from(t.time), f32(frames.map((f) => f.time)));
  assert.equal(t.provenance!.precision, 'double');
  const s = trrIndex(path).summary;
  assert.equal(s.precision, 'double');
  assert.deepEqual(s.arrays.find((a) => a.name === 'forces'), { name: 'forces', dtype: '>f8', shape: [2, N, 3] });
  // Without a box, GROMACS takes the size of a real from x_size: a frame of positions only.
  const xOnly = readTrr(file('double-x.trr', trrFrame({ natoms: N, step: 0, time: 0, real: 8, x: values(3) })));
  assert.deepEqual(Array.from(xOnly.positions), f32(values(3)));
  assert.equal(xOnly.box, undefined);
});

test('any subset of x, v, f per frame: frames without positions are skipped, optional arrays kept when every frame read has them', () => {
  const frames: Frame[] = [
    { ...full(0) },
    { ...full(1), f: undefined, v: undefined },
    { ...full(2), x: undefined, v: undefined },
    { ...full(3), box: undefined },
    { ...full(4), v: undefined },
  ];
  const path = file('subsets.trr', Buffer.concat(frames.map(trrFrame)));
  const index = trrIndex(path);
  assert.deepEqual(Array.from(index.contents), [15, 9, 12, 7, 13]);
  assert.deepEqual(index.summary.arrays.map((a) => [a.name, a.shape[0]]), [['positions', 4], ['velocities', 2], ['forces', 4], ['box', 4], ['time', 5], ['step', 5]]);

  const t = readTrr(path);
  assert.deepEqual(Array.from(t.frames), [0, 1, 3, 4]);
  assert.equal(t.forces, undefined, 'frame 1 has no forces');
  assert.equal(t.box, undefined, 'frame 3 has no box');
  assert.deepEqual(Array.from(t.positions), f32([0, 1, 3, 4].flatMap((k) => frames[k].x!)));

  const withForces = readTrr(path, { require: ['forces'] });
  assert.deepEqual(Array.from(withForces.frames), [0, 3, 4]);
  assert.deepEqual(Array.from(withForces.forces!), f32([0, 3, 4].flatMap((k) => frames[k].f!)));
  const boxed = readTrr(path, { require: ['forces', 'box'], start: 1 });
  assert.deepEqual(Array.from(boxed.frames), [4]);
  assert.deepEqual(Array.from(boxed.box!), f32(frames[4].box!));
  assert.throws(
    () => readTrr(path, { require: ['velocities'], start: 1, stop: 3 }),
    /subsets\.trr: no frame in \[1, 3\) holds positions and velocities; of the file's 5 frames, positions in 4, velocities in 2, forces in 4, box in 4 hold each array/,
  );
  assert.throws(() => readTrr(path, { require: ['charges' as 'forces'] }), /require lists 'charges', expected some of velocities, forces, box/);
});

test('frame offsets: a range is read without the frames before it, streamed in chunks of bounded size', async () => {
  const frames = Array.from({ length: 7 }, (_, k) => full(k));
  const bytes = Buffer.concat(frames.map(trrFrame));
  const path = file('range.trr', bytes);
  const index = trrIndex(path);
  assert.equal(trrIndex(path), index, 'the index is built once per file and reused');
  const frameBytes = bytes.length / 7;
  assert.deepEqual(Array.from(index.offsets), Array.from({ length: 8 }, (_, k) => k * frameBytes));
  const whole = readTrr(path);
  const part = readTrr(path, { start: 2, stop: 5 });
  assert.deepEqual(part.positions, whole.positions.subarray(2 * 9, 5 * 9));
  assert.deepEqual(Array.from(part.frames), [2, 3, 4]);

  const blocks: TrrBlock[] = [];
  for await (const b of streamTrr(path, { start: 1, chunk: 4 })) blocks.push(b);
  assert.deepEqual(blocks.map((b) => [b.start, b.nFrames, Array.from(b.frames)]), [[1, 4, [1, 2, 3, 4]], [5, 2, [5, 6]]]);
  assert.deepEqual(blocks[1].forces, whole.forces!.subarray(5 * 9));
  assert.deepEqual(blocks[0].velocities, whole.velocities!.subarray(9, 5 * 9));
  assert.deepEqual(Array.from(blocks[1].step), [500, 600]);
  assert.throws(() => readTrr(path, { start: 5, stop: 3 }), /range\.trr: frame range start 5, stop 3 is not within the file's 7 frames: expected integers 0 ≤ start ≤ stop ≤ 7/);
  await assert.rejects(async () => {
    for await (const _ of streamTrr(path, { chunk: 0 })) void _;
  }, /range\.trr: chunk is 0, expected a positive integer number of frames/);
});

test('errors name the file, the frame and what was expected', () => {
  const good = Buffer.concat([0, 1, 2].map((k) => trrFrame(full(k))));
  const frameBytes = good.length / 3;
  assert.throws(
    () => readTrr(file('xtc.trr', Buffer.concat([Buffer.from([0, 0, 7, 0xcb]), good]))),
    /xtc\.trr: not a GROMACS TRR file: it starts with the number 1995, expected the TRR magic number 1993; 1995 is the magic of an XTC file: name it \.xtc/,
  );
  assert.throws(
    () => readTrr(file('appended.trr', Buffer.concat([good, Buffer.alloc(100, 1)]))),
    new RegExp(`appended\\.trr: frame 3 at byte ${3 * frameBytes} starts with the number 16843009, expected the TRR magic number 1993: the file is corrupt after frame 2`),
  );
  const cut = good.length - 5;
  assert.throws(
    () => readTrr(file('cut.trr', good.subarray(0, cut))),
    new RegExp(`cut\\.trr: frame 2 is truncated at byte ${cut}: it starts at byte ${2 * frameBytes} and needs ${frameBytes} bytes, 5 more than the file holds`),
  );
  assert.throws(
    () => readTrr(file('cuthead.trr', good.subarray(0, 2 * frameBytes + 40))),
    new RegExp(`cuthead\\.trr: frame 2 is truncated at byte ${2 * frameBytes + 40}: its header, which starts at byte ${2 * frameBytes}, is cut off`),
  );
  const other = { ...full(1), natoms: 4, x: values(1, 12), v: undefined, f: undefined };
  assert.throws(
    () => readTrr(file('atoms.trr', Buffer.concat([trrFrame(full(0)), trrFrame(other)]))),
    /atoms\.trr: frame 1 has 4 atoms but frame 0 has 3; a trajectory must hold one system/,
  );
  assert.throws(
    () => readTrr(file('mixed.trr', Buffer.concat([trrFrame(full(0)), trrFrame(full(1, 8))]))),
    /mixed\.trr: frame 1 is double precision but frame 0 is single/,
  );
  assert.throws(
    () => readTrr(file('xsize.trr', trrFrame({ ...full(0), set: { x_size: 40 } }))),
    /xsize\.trr: frame 0 \(byte 0\): x_size is 40, expected 0 or 36 \(3 atoms × 3 of 4-byte reals\)/,
  );
  assert.throws(
    () => readTrr(file('ir.trr', trrFrame({ ...full(0), set: { ir_size: 8 } }))),
    /ir\.trr: frame 0 \(byte 0\): ir_size is 8; cglab reads TRR frames whose ir, e, top and sym sections are empty/,
  );
  assert.throws(
    () => readTrr(file('prec.trr', trrFrame({ natoms: N, step: 0, time: 0, x: values(0), set: { x_size: 30 } }))),
    /prec\.trr: frame 0 \(byte 0\): cannot tell single from double precision: the section sizes \(box_size 0, vir_size 0, pres_size 0, top_size 0, sym_size 0, x_size 30, v_size 0, f_size 0\) for 3 atoms give 3\.33\d* bytes per real, expected 4 or 8/,
  );
  assert.throws(() => readTrr(file('empty.trr', new Uint8Array(0))), /empty\.trr: the file is empty: a TRR file holds at least one frame/);
});

test('readCoordinates takes .trr; cglab info lists the arrays each frame holds, precision, box, time and steps', () => {
  const frames: Frame[] = [full(0), full(1), { ...full(2), f: undefined }];
  const path = file('info.trr', Buffer.concat(frames.map(trrFrame)));
  const t = readCoordinates(path);
  assert.equal(t.nFrames, 3);
  assert.equal(t.forces, undefined);
  const info = fileInfo(path);
  assert.equal(info.format, 'trr');
  assert.equal(info.precision, 'single');
  assert.deepEqual(info.arrays!.map((a) => [a.name, a.dtype, a.shape]), [
    ['positions', '>f4', [3, 3, 3]],
    ['velocities', '>f4', [3, 3, 3]],
    ['forces', '>f4', [2, 3, 3]],
    ['box', '>f4', [3, 3, 3]],
    ['time', '>f4', [3]],
    ['step', '>i4', [3]],
  ]);
  assert.deepEqual(info.steps, { first: 0, last: 200 });
  assert.equal(info.time!.start, 0.3333333, "float32 times shown to the 7 digits they hold");
  assert.equal(info.time!.step, 0.2);
  assert.equal(info.box!.orthorhombic, false);
  assert.equal(info.box!.varies, true);
  const text = formatInfo(info);
  assert.match(text, /frames +3/);
  assert.match(text, /atoms +3 \(no topology: give --top file\.pdb\)/);
  assert.match(text, /forces +>f4 +\[2, 3, 3\]/);
  assert.match(text, /precision +single \(float32\)/);
  assert.match(text, /box +frame 0: 3\.1 × 3\.22\d+ × 3\.3\d+ nm, triclinic, varies between frames/);
});

// The writer: GROMACS's layout, so that the reader and the independent frame builder above agree.
const sameBits = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) if (!Object.is(actual[i], expected[i])) assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
};

test('writeTrr: the bytes of the independent frame builder; a round trip bit for bit in single and double precision', () => {
  for (const real of [4, 8] as const) {
    const frames = [0, 1, 2].map((k) => full(k, real));
    const source = readTrr(file(`ref${real}.trr`, Buffer.concat(frames.map(trrFrame))));
    const out = join(dir, `written${real}.trr`);
    writeTrr(out, source, { precision: real === 4 ? 'single' : 'double' });
    const back = readTrr(out);
    for (const name of ['positions', 'velocities', 'forces', 'box', 'time'] as const) sameBits(back[name]!, source[name]!, `${real}-byte ${name}`);
    assert.deepEqual(Array.from(back.step), [0, 100, 200]);
    if (real === 4) {
      // Lambda aside (the builder writes 0.25, cglab 0), the files are the same bytes.
      const ours = readFileSync(out);
      const ref = Buffer.concat(frames.map((f) => trrFrame({ ...f, x: f32(f.x!), v: f32(f.v!), f: f32(f.f!), box: f32(f.box!), time: Math.fround(f.time) })));
      for (let at = 0, k = 0; k < 3; k++, at += ref.length / 3) ref.writeFloatBE(0, at + 24 + 13 * 4 + 4);
      assert.ok(ours.equals(ref), 'the bytes of the frame builder');
    }
    assert.equal(back.provenance!.precision, real === 4 ? 'single' : 'double');
  }
});

test('writeTrr: positions only; time and step default to the frame index; bad input names the file and leaves nothing', () => {
  const positions = Float32Array.from(values(3, 2 * 3 * N));
  const out = join(dir, 'plain.trr');
  writeTrr(out, makeTrajectory({ nFrames: 2, nAtoms: N, positions }, 'x'));
  const t = readTrr(out);
  sameBits(t.positions, positions, 'positions');
  assert.equal(t.forces, undefined);
  assert.equal(t.velocities, undefined);
  assert.equal(t.box, undefined);
  assert.deepEqual(Array.from(t.time), [0, 1]);
  assert.deepEqual(Array.from(t.step), [0, 1]);
  const bad = join(dir, 'bad.trr');
  assert.throws(() => writeTrr(bad, { ...makeTrajectory({ nFrames: 1, nAtoms: N, positions: positions.slice(0, 9) }, 'x'), step: [2 ** 31] }), /bad\.trr: frame 0 has step 2147483648; the TRR header stores the step as a 32-bit integer/);
  assert.throws(() => writeTrr(bad, { nFrames: 1, nAtoms: N, positions, units: t.units }), /bad\.trr: block positions has 18 values, expected \[1, 3, 3\] = 9/);
  assert.throws(() => writeTrr(bad, makeTrajectory({ nFrames: 0, nAtoms: N, positions: new Float32Array(0) }, 'x')), /bad\.trr: no frame was written/);
  assert.throws(() => writeTrr(bad, t, { precision: 'half' as never }), /precision is 'half', expected 'single' or 'double'/);
  assert.equal(existsSync(bad), false);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left');
});

test('openTrrWriter: blocks appended to a temporary file renamed at close; 100 000 frames with bounded memory; abort keeps the old file', async () => {
  const out = join(dir, 'stream.trr');
  const w = openTrrWriter(out);
  const per = 3 * N;
  const chunk = 5000;
  const frames = 100_000;
  const block = { nFrames: chunk, nAtoms: N, positions: new Float32Array(chunk * per), forces: new Float32Array(chunk * per), step: new Float64Array(chunk), time: new Float32Array(chunk) };
  const fill = (b0: number) => {
    for (let i = 0; i < chunk; i++) {
      const k = b0 + i;
      for (let j = 0; j < per; j++) {
        block.positions[i * per + j] = Math.fround(k * 1e-4 + j);
        block.forces[i * per + j] = Math.fround(-k - j / 7);
      }
      block.step[i] = 10 * k;
      block.time[i] = Math.fround(0.02 * k);
    }
  };
  const before = process.memoryUsage();
  let peak = 0;
  for (let b0 = 0; b0 < frames; b0 += chunk) {
    fill(b0);
    w.write(block);
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss - before.rss);
    if (b0 === 0) assert.equal(existsSync(out), false, 'nothing at the path before close');
  }
  assert.equal(w.frames, frames);
  w.close();
  assert.throws(() => w.write(block), /stream\.trr: the TRR writer is closed/);
  const bytesPerFrame = 4 * 3 + 12 + 13 * 4 + 2 * 4 + 2 * per * 4;
  assert.equal(statSync(out).size, frames * bytesPerFrame);
  assert.ok(peak < 64 * 2 ** 20, `memory grew by ${(peak / 2 ** 20).toFixed(1)} MiB writing a ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB file`);
  let k = 0;
  for await (const b of streamTrr(out, { chunk: 30_000 })) {
    for (let i = 0; i < b.nFrames; i++, k++) {
      if (b.step[i] !== 10 * k || b.positions[i * per + 1] !== Math.fround(k * 1e-4 + 1) || b.forces![i * per + 2] !== Math.fround(-k - 2 / 7)) assert.fail(`frame ${k} differs`);
    }
  }
  assert.equal(k, frames);
  // An aborted rewrite leaves the finished file as it was.
  const size = statSync(out).size;
  const again = openTrrWriter(out);
  fill(0);
  again.write(block);
  again.abort();
  assert.equal(statSync(out).size, size);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  const mixed = openTrrWriter(join(dir, 'mixed-atoms.trr'));
  mixed.write({ nFrames: 1, nAtoms: N, positions: new Float32Array(per) });
  assert.throws(() => mixed.write({ nFrames: 1, nAtoms: 2, positions: new Float32Array(6) }), /mixed-atoms\.trr: a block has 2 atoms but the file's first block has 3; a TRR file holds one system/);
  assert.equal(existsSync(join(dir, 'mixed-atoms.trr')), false);
});
