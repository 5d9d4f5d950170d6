/**
 * HDF5 trajectories in the layouts of mlcg and mdCATH, read through h5wasm (the HDF5 C library
 * compiled to WebAssembly).
 *
 * A file holds one or more molecule groups: every group (the root included) that holds a
 * positions dataset [frames, atoms, 3] is one, named by its path. mlcg puts one group per
 * molecule under a group per metaset (`/OPEP/opep_0000/cg_coords`); mdCATH nests frames under
 * temperature and replica groups (`/1abcA00/320/0/coords`), so every replica is a molecule group.
 * In a molecule group, the first dataset present of each list is used:
 * - positions: `coords`, `cg_coords`, `positions`;
 * - forces [frames, atoms, 3]: `forces`, `cg_forces`, `cg_delta_forces` — full forces before
 *   mlcg's delta forces (forces minus the prior's), since cglab's forces are −dU/dx of the
 *   reference; the `forces` option picks another;
 * - per-atom types [atoms]: `atom_types`, `cg_embeds`, `types`, `z` (atomic numbers, as mdCATH
 *   stores them), as a dataset or an attribute (mlcg stores `cg_embeds` as one), in the group
 *   or the nearest of its parents that has one (mdCATH stores `z` in the domain group);
 * - `box`: [frames, 3, 3] rows, [frames, 3] edge lengths, or one box for every frame ([3, 3] or
 *   [3], as mdCATH stores it); `time` [frames].
 *
 * Units: a dataset's `unit` or `units` attribute (mdCATH: coords 'Angstrom', forces
 * 'kcal/mol/Angstrom'), else a `<quantity>_unit` attribute (length_unit, force_unit, time_unit)
 * or a `units` attribute holding a JSON object ({"length": "angstrom", …}) on the molecule group
 * or its parents, nearest first; else the caller's `units` option. A unit the file declares wins
 * over the option: the option fills what the file leaves out (mlcg declares nothing; it stores Å
 * and kcal/mol/Å). Positions and forces without a unit are an error; a box or time without one is
 * left out of the read and listed in `provenance.skipped` (mdCATH's box is in nm without an
 * attribute: give `units: { length: 'nm' }` to read it). Values are converted to internal units
 * (nm, kJ/mol/nm, ps) as they are read.
 *
 * A group is chosen with the `group` option or, where a file name is taken as a string (the CLI,
 * readCoordinates), as `file.h5:/group/path` ({@link splitHdf5Path}). Reads take the
 * frame range of each dataset as an HDF5 hyperslab, so only the chunks holding those frames are
 * read (and decompressed): a stream's memory is bounded by its block, and a range does not read
 * the frames before it.
 *
 * h5wasm compiles its WebAssembly module asynchronously, which costs a process ~0.3 s and ~40 MB:
 * it is loaded by {@link loadHdf5}, not at import, so that the many commands that never see an
 * HDF5 file do not pay for it (the command line loads it when an argument names one). Every
 * function here is synchronous once it is loaded, as the other readers are.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Dataset, File as H5File, Group } from 'h5wasm/node';
import { toInternal, type Quantity, type Units } from '../units.js';
import { blockTrajectory, frameRange, type FrameBlock, type FrameRangeOptions, type StoredArray } from './frameBlocks.js';
import type { Trajectory } from './trajectory.js';

let h5wasm: typeof import('h5wasm/node').default | undefined;

/** Load h5wasm (once per process); every other function here needs it loaded. */
export async function loadHdf5(): Promise<void> {
  if (h5wasm) return;
  const lib = (await import('h5wasm/node')).default;
  await lib.ready;
  h5wasm = lib;
}

/** The loaded library. @throws Error saying how to load it when it is not. */
function lib(): NonNullable<typeof h5wasm> {
  if (!h5wasm) throw new Error('HDF5 support is not loaded: await loadHdf5() (cglab/io/hdf5) before reading .h5 files (the cglab command line does this when an argument names one)');
  return h5wasm;
}

const POSITIONS = ['coords', 'cg_coords', 'positions'];
const FORCES = ['forces', 'cg_forces', 'cg_delta_forces'];
const TYPES = ['atom_types', 'cg_embeds', 'types', 'z'];
/** Groups deeper than this are not searched: a guard against hard-link cycles. */
const MAX_DEPTH = 32;
/** The HDF5 format signature, at byte 0 or 512, 1024, 2048, … after a user block. */
const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Frames per read of the box and time when the summary scans them. */
const SCAN_FRAMES = 1 << 16;

/** A dataset of a molecule group as the file stores it. */
export interface Hdf5Array extends StoredArray {
  /** Path of the dataset in the file. */
  path: string;
  /** The unit the file declares for it (as written), or null when it declares none. */
  unit: string | null;
  /** Where that unit was found: 'dataset', or the group path whose attribute gave it; null without one. */
  unitFrom: string | null;
  /** Chunk shape, or null for contiguous storage. */
  chunks: number[] | null;
  /** HDF5 filters, e.g. ['deflate', 'shuffle']. */
  filters: string[];
}

/** A group holding positions: one molecule's frames. */
export interface Hdf5Group {
  /** Path of the group, '/' for the root. */
  path: string;
  frames: number;
  atoms: number;
  positions: Hdf5Array;
  /** The forces read by default (see the module comment for the precedence), or null. */
  forces: Hdf5Array | null;
  /** Every forces dataset of the group, in precedence order. */
  forceDatasets: Hdf5Array[];
  box: Hdf5Array | null;
  time: Hdf5Array | null;
  /** Per-atom types: the group holding them, their name, and whether a dataset or an attribute; null without. */
  types: { group: string; name: string; kind: 'dataset' | 'attribute' } | null;
}

/** What {@link hdf5Index} finds in a file. */
export interface Hdf5Index {
  file: string;
  /** Molecule groups in file order (depth first). */
  groups: Hdf5Group[];
}

/** Options of {@link readHdf5} and {@link streamHdf5}. */
export interface Hdf5ReadOptions extends FrameRangeOptions {
  /** Molecule group path; needed when the file holds more than one. */
  group?: string;
  /**
   * Units of what the file does not declare, e.g. `{ length: 'angstrom', force:
   * 'kcal/mol/angstrom' }` for mlcg files; declared units win.
   */
  units?: Partial<Units>;
  /** Name of the forces dataset to read instead of the default (e.g. 'cg_delta_forces'). */
  forces?: string;
}

/** Frames of one molecule group, internal units. */
export type Hdf5Block = FrameBlock;

/** A whole read: the frames, with the group's per-atom types when it has them. */
export type Hdf5Trajectory = Trajectory & {
  /** [atoms] the group's atom or bead types (mlcg embeddings, mdCATH atomic numbers). */
  types?: Int32Array;
};

/**
 * `spec` split into a file and a group: `data.h5:/OPEP/opep_0000` → file `data.h5`, group
 * `/OPEP/opep_0000`; a plain path has no group. Only `.h5` / `.hdf5` names followed by `:/` are
 * split, so other paths pass through unchanged.
 */
export function splitHdf5Path(spec: string): { file: string; group?: string } {
  const m = /^(.*\.(?:h5|hdf5)):(\/.*)$/i.exec(spec);
  return m ? { file: m[1], group: m[2] } : { file: spec };
}

/** Whether `spec` names an HDF5 file (by extension), with or without a `:/group`. */
export function isHdf5Path(spec: string): boolean {
  return /\.(h5|hdf5)$/i.test(splitHdf5Path(spec).file);
}

/** A little-endian unsigned integer of `n` bytes at `at`; NaN for HDF5's undefined address (all ones). */
function address(b: Buffer, at: number, n: number): number {
  let v = 0;
  let ones = true;
  for (let i = n - 1; i >= 0; i--) {
    v = v * 256 + b[at + i];
    ones &&= b[at + i] === 0xff;
  }
  return ones ? NaN : v;
}

/**
 * Check the signature and the length the superblock records before h5wasm opens the file: the
 * library's own errors name neither file nor cause ("name not defined").
 */
function checkFile(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new Error(`${path}: cannot read the file: ${(e as Error).message}`);
  }
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(64);
    for (let at = 0; at + SIGNATURE.length <= size; at = at === 0 ? 512 : 2 * at) {
      const n = readSync(fd, b, 0, b.length, at);
      if (n < SIGNATURE.length || !b.subarray(0, 8).equals(SIGNATURE)) continue;
      const version = b[8];
      // The sizes of offsets and where base and end-of-file addresses lie, by superblock version.
      const [offsets, base] = version < 2 ? [b[13], version === 0 ? 24 : 28] : [b[9], 12];
      if (offsets !== 4 && offsets !== 8) return; // let HDF5 judge an unusual superblock
      const baseAddr = address(b, base, offsets);
      const eof = address(b, base + 2 * offsets, offsets);
      const expected = (Number.isNaN(baseAddr) ? at : baseAddr) + eof;
      if (n >= base + 3 * offsets && Number.isFinite(eof) && size < expected) {
        throw new Error(`${path}: the HDF5 file is truncated: it has ${size} bytes but its superblock records ${expected}; copy or download it again`);
      }
      return;
    }
    const head = Buffer.alloc(Math.min(8, size));
    readSync(fd, head, 0, head.length, 0);
    throw new Error(`${path}: not an HDF5 file: no HDF5 signature (\\x89HDF\\r\\n\\x1a\\n) at byte 0 or after a user block; it starts with bytes ${head.toString('hex') || '(none: the file is empty)'}`);
  } finally {
    closeSync(fd);
  }
}

/** Open `path` read-only after {@link checkFile}. */
function openFile(path: string): H5File {
  checkFile(path);
  try {
    return new (lib().File)(path, 'r');
  } catch (e) {
    throw new Error(`${path}: HDF5 could not open the file (${(e as Error).message}); see the HDF5 messages above`);
  }
}

const isDataset = (e: unknown): e is Dataset => e instanceof lib().Dataset;
const isGroup = (e: unknown): e is Group => e instanceof lib().Group;
const join = (group: string, name: string) => (group === '/' ? `/${name}` : `${group}/${name}`);

/** A string attribute of `obj` (bytes and one-element arrays of strings accepted), else undefined. */
function stringAttr(obj: Dataset | Group, name: string): string | undefined {
  if (!Object.hasOwn(obj.attrs, name)) return undefined;
  let v: unknown = obj.attrs[name].value;
  if (Array.isArray(v) && v.length === 1) v = v[0];
  if (v instanceof Uint8Array) v = new TextDecoder().decode(v);
  return typeof v === 'string' ? v : undefined;
}

/** The unit a group declares for `q`: `<q>_unit`, or `units` as a JSON object holding `q`. */
function groupUnit(g: Group, q: Quantity): string | undefined {
  const own = stringAttr(g, `${q}_unit`);
  if (own !== undefined) return own;
  const all = stringAttr(g, 'units');
  if (all === undefined || !all.trim().startsWith('{')) return undefined;
  try {
    const u = JSON.parse(all) as Record<string, unknown>;
    return typeof u[q] === 'string' ? (u[q] as string) : undefined;
  } catch {
    return undefined;
  }
}

/** numpy-style dtype of a dataset ('<f4', '>i8', '|u1'), or HDF5's description for other types. */
function dtypeText(ds: Dataset): string {
  const m = ds.metadata;
  const kind = m.type === 1 ? 'f' : m.type === 0 ? (m.signed ? 'i' : 'u') : undefined;
  if (kind === undefined) return String(ds.dtype);
  return `${m.size === 1 ? '|' : m.littleEndian ? '<' : '>'}${kind}${m.size}`;
}

function arrayInfo(ds: Dataset, name: string, chain: Group[], q: Quantity): Hdf5Array {
  let unit = stringAttr(ds, 'unit') ?? stringAttr(ds, 'units') ?? null;
  let unitFrom: string | null = unit === null ? null : 'dataset';
  for (const g of chain) {
    if (unit !== null) break;
    const u = groupUnit(g, q);
    if (u !== undefined) [unit, unitFrom] = [u, g.path];
  }
  return {
    name,
    path: ds.path,
    dtype: dtypeText(ds),
    shape: ds.shape ?? [],
    unit,
    unitFrom,
    chunks: ds.metadata.chunks,
    filters: ds.filters.map((f) => f.name),
  };
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/** The molecule group at `g` (whose parents, nearest first, are `parents`), or null without positions. */
function moleculeGroup(file: string, g: Group, keys: string[], parents: Group[]): Hdf5Group | null {
  const dataset = (name: string) => {
    if (!keys.includes(name)) return undefined;
    const e = g.get(name);
    return isDataset(e) ? e : undefined;
  };
  const posName = POSITIONS.find((n) => dataset(n));
  if (!posName) return null;
  const chain = [g, ...parents];
  const where = `${file}: ${join(g.path, posName)}`;
  const pos = dataset(posName) as Dataset;
  const shape = pos.shape ?? [];
  if (shape.length !== 3 || shape[2] !== 3) throw new Error(`${where} has shape ${shapeText(shape)}, expected [frames, atoms, 3]`);
  const [frames, atoms] = shape;
  const positions = arrayInfo(pos, posName, chain, 'length');
  const forceDatasets = FORCES.filter((n) => dataset(n)).map((n) => arrayInfo(dataset(n) as Dataset, n, chain, 'force'));
  for (const f of forceDatasets) {
    if (shapeText(f.shape) !== shapeText(shape)) throw new Error(`${file}: ${f.path} has shape ${shapeText(f.shape)}, expected that of ${posName}, ${shapeText(shape)}`);
  }
  const boxDs = dataset('box');
  const box = boxDs ? arrayInfo(boxDs, 'box', chain, 'length') : null;
  const boxShapes = [[frames, 3, 3], [frames, 3], [3, 3], [3]].map(shapeText);
  if (box && !boxShapes.includes(shapeText(box.shape))) {
    throw new Error(`${file}: ${box.path} has shape ${shapeText(box.shape)}, expected [${frames}, 3, 3] (box vectors as rows), [${frames}, 3] (edge lengths), or [3, 3] / [3] for every frame`);
  }
  const timeDs = dataset('time');
  const time = timeDs ? arrayInfo(timeDs, 'time', chain, 'time') : null;
  if (time && shapeText(time.shape) !== shapeText([frames])) throw new Error(`${file}: ${time.path} has shape ${shapeText(time.shape)}, expected [${frames}] (one time per frame)`);
  for (const a of [positions, ...forceDatasets, ...(box ? [box] : []), ...(time ? [time] : [])]) {
    if (!a.dtype.includes('f')) throw new Error(`${file}: ${a.path} has dtype ${a.dtype}, expected float32 or float64`);
  }
  return { path: g.path, frames, atoms, positions, forces: forceDatasets[0] ?? null, forceDatasets, box, time, types: findTypes(file, chain, atoms) };
}

/** The nearest types dataset or attribute of `chain` (group first, then parents). */
function findTypes(file: string, chain: Group[], atoms: number): Hdf5Group['types'] {
  for (const g of chain) {
    const keys = g.keys();
    for (const name of TYPES) {
      const e = keys.includes(name) ? g.get(name) : null;
      const kind = isDataset(e) ? 'dataset' : Object.hasOwn(g.attrs, name) ? 'attribute' : null;
      if (!kind) continue;
      const found = { group: g.path, name, kind } as const;
      const n = isDataset(e) ? (e.shape ?? []) : (g.attrs[name].shape ?? []);
      if (n.length !== 1 || n[0] !== atoms) throw new Error(`${file}: ${typesText(found)} has shape ${shapeText(n)}, expected [${atoms}] (one type per atom of ${chain[0].path})`);
      return found;
    }
  }
  return null;
}

/** Where types are, for messages and `cglab info`: a dataset path or "attribute NAME of GROUP". */
export function typesText(t: NonNullable<Hdf5Group['types']>): string {
  return t.kind === 'dataset' ? join(t.group, t.name) : `attribute ${t.name} of ${t.group}`;
}

function buildIndex(path: string, f: H5File): Hdf5Index {
  const groups: Hdf5Group[] = [];
  const walk = (g: Group, parents: Group[]) => {
    const keys = g.keys();
    const m = moleculeGroup(path, g, keys, parents);
    if (m) groups.push(m);
    if (parents.length >= MAX_DEPTH) return;
    for (const k of keys) {
      const e = g.get(k);
      if (isGroup(e)) walk(e, [g, ...parents]);
    }
  };
  walk(f, []);
  return { file: path, groups };
}

/**
 * The molecule groups of an HDF5 file: for each, frames, atoms, the datasets used (name, path,
 * dtype, shape, declared unit, chunking, filters) and where the per-atom types are.
 * @throws Error naming the file for: no such file, not an HDF5 file (wrong signature), a
 *   truncated file, positions not [frames, atoms, 3], forces of another shape than positions, a
 *   box, time or types of the wrong shape, or a non-float positions/forces/box/time dataset.
 */
export function hdf5Index(path: string): Hdf5Index {
  const f = openFile(path);
  try {
    return buildIndex(path, f);
  } finally {
    f.close();
  }
}

/** The molecule group `want` of `index` (or its only one). */
function chooseGroup(index: Hdf5Index, want: string | undefined): Hdf5Group {
  const { file, groups } = index;
  const list = () => groups.map((g) => `${g.path} (${g.frames} frames × ${g.atoms} atoms)`).join(', ');
  if (groups.length === 0) throw new Error(`${file}: no molecule group: no group holds a positions dataset (${POSITIONS.join(', ')}) of shape [frames, atoms, 3]`);
  if (want === undefined) {
    if (groups.length === 1) return groups[0];
    throw new Error(`${file} holds ${groups.length} molecule groups: ${list()}; choose one with the group option or as ${file}:/group/path`);
  }
  const norm = want === '/' ? '/' : `/${want.replace(/^\/+|\/+$/g, '')}`;
  const g = groups.find((x) => x.path === norm);
  if (!g) throw new Error(`${file}: no molecule group ${norm}; the file's molecule groups are ${list()}`);
  return g;
}

/** Accepted spellings of HDF5 unit attributes, mapped onto those of units.ts. */
function unitName(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/ångströms?|angstroms?|ångstrom/g, 'angstrom')
    .replace(/nanomet(?:er|re)s?/g, 'nm')
    .replace(/picoseconds?/g, 'ps')
    .replace(/femtoseconds?/g, 'fs')
    .replace(/nanoseconds?/g, 'ns')
    .replace(/\s+/g, '')
    .replace(/^(kcal|kj)\/\(mol[*·]?([a-zå]+)\)$/, '$1/mol/$2');
}

/** What a read takes from a group: the datasets, each with its factor into internal units. */
interface Plan {
  group: Hdf5Group;
  positions: { info: Hdf5Array; factor: number };
  forces?: { info: Hdf5Array; factor: number };
  box?: { info: Hdf5Array; factor: number };
  time?: { info: Hdf5Array; factor: number };
  skipped: string[];
  units: Record<string, string>;
}

/**
 * The factor into internal units of `info` (a dataset of `group`) from its declared unit, else
 * `given`; undefined when neither exists.
 * @throws Error naming the dataset and where the unit came from when the unit is unknown.
 */
function unitFactor(file: string, info: Hdf5Array, q: Quantity, given: string | undefined): { unit: string; factor: number } | undefined {
  const unit = info.unit ?? given;
  if (unit === undefined) return undefined;
  try {
    return { unit, factor: toInternal(q, unitName(unit)) };
  } catch (e) {
    const from = info.unit === null ? 'the units option' : info.unitFrom === 'dataset' ? 'its unit attribute' : `an attribute of ${info.unitFrom}`;
    throw new Error(`${file}: ${info.path}: ${from} gives '${unit}': ${(e as Error).message}`);
  }
}

function plan(index: Hdf5Index, opts: Hdf5ReadOptions): Plan {
  const group = chooseGroup(index, opts.group);
  const { file } = index;
  let forces = group.forces;
  if (opts.forces !== undefined) {
    forces = group.forceDatasets.find((f) => f.name === opts.forces) ?? null;
    if (!forces) throw new Error(`${file}: ${group.path} has no forces dataset '${opts.forces}'; it has ${group.forceDatasets.map((f) => f.name).join(', ') || 'none'}`);
  }
  const skipped: string[] = [];
  const units: Record<string, string> = {};
  const resolve = (info: Hdf5Array, q: Quantity, required: boolean) => {
    const u = unitFactor(file, info, q, opts.units?.[q]);
    if (u === undefined) {
      const hint = `declares no ${q} unit (no 'unit' or 'units' attribute on the dataset, no '${q}_unit' or 'units' attribute on ${group.path} or its parents)`;
      if (!required) {
        skipped.push(`${info.name}: ${hint}; give units.${q} to read it`);
        return undefined;
      }
      throw new Error(`${file}: ${info.path} ${hint}: give the units, e.g. { units: { length: 'angstrom', force: 'kcal/mol/angstrom' } } (mlcg's), or add a 'unit' attribute to the dataset`);
    }
    units[info.name] = u.unit;
    return { info, factor: u.factor };
  };
  const positions = resolve(group.positions, 'length', true) as Plan['positions'];
  const f = forces ? resolve(forces, 'force', true) : undefined;
  const box = group.box ? resolve(group.box, 'length', false) : undefined;
  const time = group.time ? resolve(group.time, 'time', false) : undefined;
  return { group, positions, ...(f ? { forces: f } : {}), ...(box ? { box } : {}), ...(time ? { time } : {}), skipped, units };
}

/** Frames [k0, k1) of `info` (or the whole dataset when `whole`), as HDF5 stores them. */
function readSlice(file: string, f: H5File, info: Hdf5Array, k0: number, k1: number, whole = false): Float32Array | Float64Array {
  const ds = f.get(info.path);
  if (!isDataset(ds)) throw new Error(`${file}: ${info.path} is no longer a dataset; the file changed while being read`);
  try {
    const v = whole ? ds.value : ds.slice([[k0, k1]]);
    if (v instanceof Float32Array || v instanceof Float64Array) return v;
    throw new Error(`got ${Object.prototype.toString.call(v)}`);
  } catch (e) {
    throw new Error(`${file}: ${info.path}: reading frames ${k0} to ${k1 - 1} failed (${(e as Error).message}); the file may be corrupt (see the HDF5 messages above)`);
  }
}

/** `raw` × `factor` as float32, checked finite; errors name the dataset, the frame (from `k0`) and the atom. */
function converted(file: string, info: Hdf5Array, raw: Float32Array | Float64Array, factor: number, k0: number, perFrame: number, perAtom: boolean): Float32Array {
  const out = raw instanceof Float32Array && factor === 1 ? raw : new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (!Number.isFinite(v)) {
      const at = perAtom ? `, atom ${Math.floor((i % perFrame) / 3)} (component ${'xyz'[i % 3]})` : '';
      throw new Error(`${file}: ${info.path} has a non-finite value (${v}) at frame ${k0 + Math.floor(i / perFrame)}${at}: fix or drop that frame`);
    }
    if (out !== raw) out[i] = v * factor;
  }
  return out;
}

/**
 * The box rows of frames [k0, k1) from any of the box shapes accepted: [frames, 3, 3] rows,
 * [frames, 3] edges, or one box for all frames ([3, 3] rows, [3] edges). A [3, 3] box of a
 * 3-frame group is taken as per-frame edges.
 */
function boxes(file: string, f: H5File, box: { info: Hdf5Array; factor: number }, frames: number, k0: number, k1: number): Float32Array {
  const { info, factor } = box;
  const shape = info.shape;
  const constant = shape[0] !== frames || shape.length === 1;
  const per = shape.length === 3 || (constant && shape.length === 2) ? 9 : 3;
  const raw = converted(file, info, readSlice(file, f, info, k0, k1, constant), factor, constant ? 0 : k0, per, false);
  const n = k1 - k0;
  const out = new Float32Array(9 * n);
  for (let k = 0; k < n; k++) {
    const src = constant ? 0 : per * k;
    if (per === 9) out.set(raw.subarray(src, src + 9), 9 * k);
    else for (let d = 0; d < 3; d++) out[9 * k + 4 * d] = raw[src + d];
  }
  return out;
}

/** Frames [k0, k1) of the plan's datasets as one block. */
function readBlock(file: string, f: H5File, p: Plan, k0: number, k1: number): Hdf5Block {
  const per = 3 * p.group.atoms;
  const n = k1 - k0;
  const block: Hdf5Block = {
    start: k0,
    nFrames: n,
    nAtoms: p.group.atoms,
    positions: n ? converted(file, p.positions.info, readSlice(file, f, p.positions.info, k0, k1), p.positions.factor, k0, per, true) : new Float32Array(0),
  };
  if (p.forces) block.forces = n ? converted(file, p.forces.info, readSlice(file, f, p.forces.info, k0, k1), p.forces.factor, k0, per, true) : new Float32Array(0);
  if (p.box) block.box = n ? boxes(file, f, p.box, p.group.frames, k0, k1) : new Float32Array(0);
  if (p.time) block.time = n ? converted(file, p.time.info, readSlice(file, f, p.time.info, k0, k1), p.time.factor, k0, 1, false) : new Float32Array(0);
  return block;
}

function readTypes(file: string, f: H5File, types: NonNullable<Hdf5Group['types']>): Int32Array {
  const v = types.kind === 'dataset' ? (f.get(join(types.group, types.name)) as Dataset).value : (f.get(types.group) as Group).attrs[types.name].value;
  if (!ArrayBuffer.isView(v) || v instanceof DataView || v instanceof Float32Array || v instanceof Float64Array) {
    throw new Error(`${file}: ${typesText(types)} is not an integer array; expected one integer type per atom`);
  }
  return Int32Array.from(v as ArrayLike<number | bigint>, (x) => Number(x));
}

/**
 * Read one molecule group of an HDF5 file (see the module comment for the layout and units).
 * @param opts `group`: the molecule group (needed when the file holds several); `start`/`stop`:
 *   the frame range; `units`: units of what the file does not declare; `forces`: another forces
 *   dataset.
 * @returns positions [frames, atoms, 3] nm; forces (kJ/mol/nm), box [frames, 3, 3] (nm) and time
 *   (ps) when the group holds them; `types` [atoms] when it has per-atom types. No topology:
 *   element names or bead types alone do not make one; give a PDB (readCoordinates's `top`).
 *   `provenance` names the file, group, datasets, units as declared and any array skipped.
 * @throws Error naming the file, group and dataset (see {@link hdf5Index}), and for: several
 *   groups and none chosen (listing them), a missing group, positions or forces without a unit
 *   from the file or the option, an unknown unit, NaN/Inf (naming the frame and atom).
 */
export function readHdf5(path: string, opts: Omit<Hdf5ReadOptions, 'chunk'> = {}): Hdf5Trajectory {
  const f = openFile(path);
  try {
    const p = plan(buildIndex(path, f), opts);
    const { start, stop } = frameRange(opts, p.group.frames, p.group.atoms, `${path}:${p.group.path}`);
    const block = readBlock(path, f, p, start, stop);
    const types = p.group.types ? readTypes(path, f, p.group.types) : undefined;
    const t = blockTrajectory(block, path, provenance(path, p, start, stop)) as Hdf5Trajectory;
    return types ? { ...t, types } : t;
  } finally {
    f.close();
  }
}

function provenance(path: string, p: Plan, start: number, stop: number): Record<string, unknown> {
  return {
    reader: 'hdf5',
    file: path,
    group: p.group.path,
    frames: [start, stop],
    datasets: Object.fromEntries((['positions', 'forces', 'box', 'time'] as const).flatMap((k) => (p[k] ? [[k, p[k]!.info.path]] : []))),
    units: p.units,
    ...(p.skipped.length ? { skipped: p.skipped } : {}),
  };
}

/**
 * Stream one molecule group in blocks of `opts.chunk` frames (default ~64 MiB of positions),
 * reading only each block's frames of each dataset (HDF5 hyperslabs), so memory stays bounded by
 * the block whatever the file's size. The options, arrays and errors are those of
 * {@link readHdf5}; the group and units are checked before the first block, and a NaN/Inf fails
 * the block holding it, naming the frame.
 */
export async function* streamHdf5(path: string, opts: Hdf5ReadOptions = {}): AsyncGenerator<Hdf5Block, void, undefined> {
  const f = openFile(path);
  try {
    const p = plan(buildIndex(path, f), opts);
    const { start, stop, chunk } = frameRange(opts, p.group.frames, p.group.atoms, `${path}:${p.group.path}`);
    for (let k = start; k < stop; k += chunk) yield readBlock(path, f, p, k, Math.min(stop, k + chunk));
  } finally {
    f.close();
  }
}

/** What `cglab info` shows of an HDF5 file. */
export interface Hdf5Summary {
  /** Every molecule group of the file. */
  groups: Hdf5Group[];
  /** The group described: the one asked for or the file's only one; null when there are several and none was asked for. */
  group: Hdf5Group | null;
  /** Units of the described group's arrays as declared, by quantity; null entries are undeclared. */
  units: { length: string | null; force: string | null; time: string | null } | null;
  /** Frame 0's box (nm, rows) and whether any frame's differs; null without a box or its unit. */
  box: { first: Float32Array; varies: boolean } | null;
  /** First, second and last time (ps); null without times or their unit. */
  time: { first: number; second: number | null; last: number } | null;
}

/**
 * The molecule groups of `spec` (`file.h5` or `file.h5:/group`) and, for the one described,
 * its declared units, frame 0's box and the time range, reading the box and time datasets in
 * blocks and no positions. Box and time whose units are undeclared are reported as absent.
 * @throws Error naming the file, as {@link hdf5Index}, and for a missing group.
 */
export function hdf5Summary(spec: string): Hdf5Summary {
  const { file, group: want } = splitHdf5Path(spec);
  const f = openFile(file);
  try {
    const index = buildIndex(file, f);
    if (want === undefined && index.groups.length !== 1) return { groups: index.groups, group: null, units: null, box: null, time: null };
    const group = chooseGroup(index, want);
    // Box and time as read (their declared units only); positions and forces are described, not read.
    const scaled = (info: Hdf5Array | null, q: Quantity) => {
      const u = info ? unitFactor(file, info, q, undefined) : undefined;
      return info && u && group.frames > 0 ? { info, factor: u.factor } : undefined;
    };
    const boxPlan = scaled(group.box, 'length');
    let box: Hdf5Summary['box'] = null;
    if (boxPlan) {
      const first = boxes(file, f, boxPlan, group.frames, 0, 1);
      let varies = false;
      for (let k = 1; k < group.frames && !varies; k += SCAN_FRAMES) {
        const b = boxes(file, f, boxPlan, group.frames, k, Math.min(group.frames, k + SCAN_FRAMES));
        varies = b.some((v, i) => v !== first[i % 9]);
      }
      box = { first, varies };
    }
    const timePlan = scaled(group.time, 'time');
    let time: Hdf5Summary['time'] = null;
    if (timePlan) {
      const one = (k: number) => converted(file, timePlan.info, readSlice(file, f, timePlan.info, k, k + 1), timePlan.factor, k, 1, false)[0];
      time = { first: one(0), second: group.frames > 1 ? one(1) : null, last: one(group.frames - 1) };
    }
    return {
      groups: index.groups,
      group,
      units: { length: group.positions.unit, force: group.forces?.unit ?? null, time: group.time?.unit ?? null },
      box,
      time,
    };
  } finally {
    f.close();
  }
}

