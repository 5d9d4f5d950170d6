// HDF5 files written by h5py (Debian's python3-h5py) in the mlcg and mdCATH layouts are read back
// with the values h5py wrote: positions and forces equal to float32, Å → nm and kcal/mol/Å →
// kJ/mol/nm exact to float32 rounding; frame ranges and streamed blocks equal the whole read;
// chunked and gzip-compressed datasets; group selection; and errors that name the file, group,
// dataset and frame.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hdf5Index, loadHdf5, readHdf5, splitHdf5Path, streamHdf5 } from 'cglab/io/hdf5';
import { readCoordinates } from 'cglab/io/dataset';
import { openFrameSet } from 'cglab/io/frameSet';
import { readNpy } from 'cglab/io/npy';
import { ANGSTROM_TO_NM, KCAL_TO_KJ } from 'cglab/units';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'cglab-h5-'));
before(loadHdf5);
after(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);
const npy = (name: string) => readNpy(path(`${name}.npy`)).data as Float32Array | Float64Array;

const WRITE = String.raw`
import sys, numpy as np, h5py
out = sys.argv[1]
rng = np.random.RandomState(7)
def save(name, a): np.save(out + '/' + name + '.npy', a)

# mdCATH: /<domain>/<temp>/<replica>/{coords, forces, box}, z in the domain group; units on the datasets.
F, n = 30, 22
with h5py.File(out + '/mdcath.h5', 'w') as f:
    dom = f.create_group('1abcA00')
    dom.create_dataset('z', data=rng.randint(1, 9, n))
    for temp in ('320', '348'):
        for rep in ('0', '1'):
            g = dom.create_group(temp + '/' + rep)
            x = (rng.rand(F, n, 3) * 30).astype(np.float32)
            fo = (rng.randn(F, n, 3) * 20).astype(np.float32)
            g.create_dataset('coords', data=x, chunks=(4, n, 3), compression='gzip').attrs['unit'] = 'Angstrom'
            g.create_dataset('forces', data=fo, chunks=(7, n, 3)).attrs['unit'] = 'kcal/mol/Angstrom'
            g.create_dataset('box', data=np.diag([5.1, 5.2, 5.3]))
            g.attrs['numFrames'] = F
            save('x_%s_%s' % (temp, rep), x); save('f_%s_%s' % (temp, rep), fo)
    save('z', dom['z'][()].astype(np.float64))

# mlcg: one group per molecule under a metaset, cg_embeds as an attribute, no units; both full
# and delta forces; float64 coords; a time and an [F, 3] box declared by group attributes.
with h5py.File(out + '/mlcg.h5', 'w') as f:
    for name, nb in (('opep_0000', 5), ('opep_0001', 8)):
        g = f.create_group('OPEP/' + name)
        g.attrs['cg_embeds'] = np.arange(1, nb + 1)
        g.attrs['N_frames'] = 12
        x = rng.rand(12, nb, 3) * 10
        g.create_dataset('cg_coords', data=x)
        g.create_dataset('cg_forces', data=rng.randn(12, nb, 3).astype(np.float32))
        g.create_dataset('cg_delta_forces', data=rng.randn(12, nb, 3).astype(np.float32))
        save('mlcg_x_' + name, x); save('mlcg_f_' + name, g['cg_forces'][()]); save('mlcg_d_' + name, g['cg_delta_forces'][()])

# One molecule at the root, units as a JSON group attribute, with [F, 3] box edges and time.
with h5py.File(out + '/root.h5', 'w') as f:
    f.attrs['units'] = '{"length": "nm", "force": "kJ/mol/nm", "time": "ps"}'
    f.create_dataset('positions', data=rng.rand(4, 3, 3).astype(np.float32))
    f.create_dataset('box', data=np.array([[2, 3, 4]] * 4, np.float32))
    f.create_dataset('time', data=np.arange(4, dtype=np.float32) * 0.5)
    save('root_x', f['positions'][()])

# Error cases.
with h5py.File(out + '/badshape.h5', 'w') as f:
    f.create_dataset('coords', data=np.zeros((3, 4, 2), np.float32)).attrs['unit'] = 'nm'
with h5py.File(out + '/badforces.h5', 'w') as f:
    f.create_dataset('coords', data=np.zeros((3, 4, 3), np.float32)).attrs['unit'] = 'nm'
    f.create_dataset('forces', data=np.zeros((3, 5, 3), np.float32)).attrs['unit'] = 'kJ/mol/nm'
with h5py.File(out + '/nan.h5', 'w') as f:
    x = np.zeros((6, 4, 3), np.float32); x[4, 2, 1] = np.nan
    f.create_dataset('coords', data=x).attrs['unit'] = 'nm'
with h5py.File(out + '/empty.h5', 'w') as f:
    f.create_dataset('energy', data=np.zeros(3))
data = open(out + '/mdcath.h5', 'rb').read()
open(out + '/truncated.h5', 'wb').write(data[: len(data) * 2 // 3])

`;
execFileSync(PYTHON, ['-c', WRITE, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** a[i] × factor rounded to float32, as the reader must give it. */
const scaled = (a: ArrayLike<number>, factor: number) => Float32Array.from(a, (v) => v * factor);
const equal = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) if (!Object.is(actual[i], expected[i])) assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
};
const throwsWith = (fn: () => unknown, ...parts: (string | RegExp)[]) =>
  assert.throws(fn, (e: Error) => {
    for (const p of parts) if (typeof p === 'string' ? !e.message.includes(p) : !p.test(e.message)) assert.fail(`message lacks ${p}: ${e.message}`);
    return true;
  });

test('mdCATH layout: every replica group is a molecule, units from the dataset attributes, z from the domain group', () => {
  const ix = hdf5Index(path('mdcath.h5'));
  assert.deepEqual(ix.groups.map((g) => g.path), ['/1abcA00/320/0', '/1abcA00/320/1', '/1abcA00/348/0', '/1abcA00/348/1']);
  const g = ix.groups[1];
  assert.equal(g.frames, 30);
  assert.equal(g.atoms, 22);
  assert.equal(g.positions.unit, 'Angstrom');
  assert.equal(g.forces?.unit, 'kcal/mol/Angstrom');
  assert.deepEqual(g.positions.chunks, [4, 22, 3]);
  assert.deepEqual(g.positions.filters, ['deflate']);
  assert.deepEqual(g.types, { group: '/1abcA00', name: 'z', kind: 'dataset' });

  const t = readHdf5(path('mdcath.h5'), { group: '/1abcA00/320/1' });
  equal(t.positions, scaled(npy('x_320_1'), ANGSTROM_TO_NM), 'positions (gzip, chunked) in nm');
  equal(t.forces!, scaled(npy('f_320_1'), KCAL_TO_KJ / ANGSTROM_TO_NM), 'forces in kJ/mol/nm');
  equal(t.types!, Int32Array.from(npy('z')), 'types');
  assert.equal(t.topology, undefined);
  // mdCATH's box has no unit attribute: left out and said so, or read with an explicit unit.
  assert.equal(t.box, undefined);
  assert.match((t.provenance!.skipped as string[])[0], /box: declares no length unit/);
  const withBox = readHdf5(path('mdcath.h5'), { group: '1abcA00/320/1', units: { length: 'nm' } });
  equal(withBox.box!.subarray(0, 9), Float32Array.of(5.1, 0, 0, 0, 5.2, 0, 0, 0, 5.3), 'constant box, every frame');
  equal(withBox.box!.subarray(9 * 29), withBox.box!.subarray(0, 9), 'last frame box');
  equal(withBox.positions, t.positions, 'a declared unit wins over the option');
});

test('frame ranges and streamed blocks equal the whole read', async () => {
  const file = path('mdcath.h5');
  const group = '/1abcA00/348/0';
  const whole = readHdf5(file, { group });
  const part = readHdf5(file, { group, start: 9, stop: 23 });
  assert.equal(part.nFrames, 14);
  equal(part.positions, whole.positions.subarray(9 * 66, 23 * 66), 'positions [9, 23)');
  equal(part.forces!, whole.forces!.subarray(9 * 66, 23 * 66), 'forces [9, 23)');
  const starts: number[] = [];
  const pos: number[] = [];
  const frc: number[] = [];
  for await (const b of streamHdf5(file, { group, start: 3, stop: 28, chunk: 5 })) {
    starts.push(b.start);
    pos.push(...b.positions);
    frc.push(...b.forces!);
  }
  assert.deepEqual(starts, [3, 8, 13, 18, 23]);
  equal(pos, whole.positions.subarray(3 * 66, 28 * 66), 'streamed positions');
  equal(frc, whole.forces!.subarray(3 * 66, 28 * 66), 'streamed forces');
  assert.equal(readHdf5(file, { group, start: 30 }).nFrames, 0);
  throwsWith(() => readHdf5(file, { group, stop: 31 }), `${file}:${group}`, '30 frames');
});

test('mlcg layout: several groups need a choice; no units need the option; full forces before delta forces', () => {
  const file = path('mlcg.h5');
  throwsWith(() => readHdf5(file), `${file} holds 2 molecule groups`, '/OPEP/opep_0000 (12 frames × 5 atoms)', '/OPEP/opep_0001 (12 frames × 8 atoms)', `${file}:/group/path`);
  throwsWith(() => readHdf5(file, { group: '/OPEP/opep_0002' }), 'no molecule group /OPEP/opep_0002', '/OPEP/opep_0001');
  throwsWith(() => readHdf5(file, { group: '/OPEP/opep_0001' }), `${file}: /OPEP/opep_0001/cg_coords declares no length unit`, "units: { length: 'angstrom'");
  const units = { length: 'Å', force: 'kcal/(mol·Å)' };
  const t = readHdf5(file, { group: '/OPEP/opep_0001', units });
  assert.equal(t.nAtoms, 8);
  equal(t.positions, scaled(npy('mlcg_x_opep_0001'), ANGSTROM_TO_NM), 'float64 positions, Å → nm');
  equal(t.forces!, scaled(npy('mlcg_f_opep_0001'), KCAL_TO_KJ / ANGSTROM_TO_NM), 'cg_forces');
  equal(t.types!, Int32Array.of(1, 2, 3, 4, 5, 6, 7, 8), 'cg_embeds attribute');
  assert.equal((t.provenance!.datasets as Record<string, string>).forces, '/OPEP/opep_0001/cg_forces');
  const delta = readHdf5(file, { group: '/OPEP/opep_0000', units, forces: 'cg_delta_forces' });
  equal(delta.forces!, scaled(npy('mlcg_d_opep_0000'), KCAL_TO_KJ / ANGSTROM_TO_NM), 'cg_delta_forces');
  throwsWith(() => readHdf5(file, { group: '/OPEP/opep_0000', units, forces: 'nope' }), "no forces dataset 'nope'", 'cg_forces, cg_delta_forces');
  throwsWith(() => readHdf5(file, { group: '/OPEP/opep_0000', units: { length: 'furlong', force: 'kJ/mol/nm' } }), 'cg_coords: the units option gives \'furlong\'', 'unknown length unit');
});

test('readCoordinates takes file.h5:/group and a root molecule with units declared by a JSON group attribute', () => {
  assert.deepEqual(splitHdf5Path('a/b.h5:/x/y'), { file: 'a/b.h5', group: '/x/y' });
  assert.deepEqual(splitHdf5Path('a/b.hdf5'), { file: 'a/b.hdf5' });
  const t = readCoordinates(`${path('mdcath.h5')}:/1abcA00/348/1`);
  equal(t.positions, scaled(npy('x_348_1'), ANGSTROM_TO_NM), 'readCoordinates positions');
  const mlcg = readCoordinates(`${path('mlcg.h5')}:/OPEP/opep_0000`, { hdf5Units: { length: 'angstrom', force: 'kcal/mol/angstrom' } });
  assert.equal(mlcg.nAtoms, 5);
  const root = readHdf5(path('root.h5'));
  equal(root.positions, npy('root_x'), 'root positions');
  equal(root.box!.subarray(9), Float32Array.of(2, 0, 0, 0, 3, 0, 0, 0, 4, 2, 0, 0, 0, 3, 0, 0, 0, 4, 2, 0, 0, 0, 3, 0, 0, 0, 4), '[F, 3] edges as diagonal boxes');
  equal(root.time!, Float32Array.of(0, 0.5, 1, 1.5), 'time');
});

test('errors name the file, the dataset and the frame', () => {
  throwsWith(() => hdf5Index(path('truncated.h5')), `${path('truncated.h5')}: the HDF5 file is truncated`, /has \d+ bytes but its superblock records \d+/);
  writeFileSync(path('fake.h5'), 'CDF\x01 not hdf5 at all');
  throwsWith(() => readHdf5(path('fake.h5')), `${path('fake.h5')}: not an HDF5 file`, 'starts with bytes 43444601');
  writeFileSync(path('zero.h5'), '');
  throwsWith(() => readHdf5(path('zero.h5')), 'not an HDF5 file', 'the file is empty');
  throwsWith(() => readHdf5(path('missing.h5')), `${path('missing.h5')}: cannot read the file`);
  throwsWith(() => readHdf5(path('badshape.h5')), `${path('badshape.h5')}: /coords has shape [3, 4, 2], expected [frames, atoms, 3]`);
  throwsWith(() => readHdf5(path('badforces.h5')), '/forces has shape [3, 5, 3], expected that of coords, [3, 4, 3]');
  throwsWith(() => readHdf5(path('nan.h5')), '/coords has a non-finite value (NaN) at frame 4, atom 2 (component y)');
  // A stream yields the clean blocks before the one holding the NaN, then fails naming the frame.
  const got: number[] = [];
  return assert.rejects(
    (async () => {
      for await (const b of streamHdf5(path('nan.h5'), { chunk: 2 })) got.push(b.start);
    })(),
    /frame 4, atom 2/,
  ).then(() => {
    assert.deepEqual(got, [0, 2]);
    throwsWith(() => readHdf5(path('empty.h5')), 'no molecule group: no group holds a positions dataset (coords, cg_coords, positions)');
  });
});

test('groups of HDF5 files join a frame set (io/frameSet.ts): mdCATH replicas as one set, read whole and by hyperslab blocks', async () => {
  const groups = ['320/0', '320/1', '348/0'].map((g) => `${path('mdcath.h5')}:/1abcA00/${g}`);
  const set = openFrameSet(groups, { requireForces: true });
  assert.equal(set.nFrames, 90);
  const whole = set.read();
  const x = (g: string) => npy(`x_${g.replace('/', '_')}`);
  for (const [k, g] of ['320/0', '320/1', '348/0'].entries()) {
    const part = whole.positions.subarray(k * 30 * 66, (k + 1) * 30 * 66);
    assert.ok(part.every((v, i) => v === Math.fround(x(g)[i] * ANGSTROM_TO_NM)), `replica ${g}`);
  }
  const starts: number[] = [];
  for await (const b of set.blocks(25, 65, 8)) {
    starts.push(b.start);
    assert.deepEqual(b.forces, whole.forces?.subarray(b.start * 66, (b.start + b.nFrames) * 66));
  }
  assert.deepEqual(starts, [25, 30, 38, 46, 54, 60]);
});
