/**
 * The `--data` option of the commands that learn from frames: one or more files, in any format
 * cglab reads, or glob patterns (`--data 'runs/*.trr'`, or the shell's own expansion), read as
 * one set of frames (io/frameSet.ts).
 */
import { expandDataPaths, openFrameSet, type FrameSet, type FrameSetOptions } from '../io/frameSet.js';
import { INTERNAL_UNITS, lammpsUnitStyle, toInternal, type Quantity, type Units } from '../units.js';
import { optList, optString, type ParsedArgs } from './args.js';
import { numberOption } from './train.js';

/** The files `--data` names, globs expanded. @throws Error when `--data` is missing. */
export function dataFiles(args: ParsedArgs, command: string, what: string): string[] {
  const given = optList(args, 'data');
  if (!given) throw new Error(`cglab ${command}: --data ${what} is required`);
  return expandDataPaths(given);
}

/**
 * `--data-units` (`--units` in `cglab info`): the units of files that do not declare their own. A LAMMPS units style (`real`,
 * `metal`, …) for dumps without ITEM: UNITS, which also gives HDF5 files the style's length,
 * time and force units; or `quantity=unit,…` (`length=angstrom,force=kcal/mol/angstrom`, as mlcg
 * stores them) for HDF5 files. Units a file declares win.
 * @throws Error naming the option for an unknown style, quantity or unit.
 */
export function unitsOption(args: ParsedArgs, command: string, name = 'data-units'): { lammpsUnits?: string; hdf5Units?: Partial<Units> } {
  const v = optString(args, name);
  if (v === undefined) return {};
  const where = `cglab ${command}: --${name} ${v}`;
  if (!v.includes('=')) {
    let names: Units;
    try {
      names = lammpsUnitStyle(v).names;
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}; or give quantity=unit pairs such as length=angstrom,force=kcal/mol/angstrom`);
    }
    const known = (['length', 'time', 'force'] as Quantity[]).filter((q) => {
      try {
        toInternal(q, names[q]);
        return true;
      } catch {
        return false;
      }
    });
    return { lammpsUnits: v, hdf5Units: Object.fromEntries(known.map((q) => [q, names[q]])) };
  }
  const units: Partial<Units> = {};
  for (const pair of v.split(',')) {
    const [q, u] = pair.split('=').map((t) => t.trim());
    if (!Object.hasOwn(INTERNAL_UNITS, q) || !u) throw new Error(`${where}: '${pair}' is not quantity=unit with a quantity among ${Object.keys(INTERNAL_UNITS).join(', ')}`);
    try {
      toInternal(q as Quantity, u);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    units[q as Quantity] = u;
  }
  return { hdf5Units: units };
}

/** `--data` (with `--top` and `--data-units`) as one set of frames, and a label that names it in messages. */
export function dataSet(args: ParsedArgs, command: string, what: string, opts: Omit<FrameSetOptions, 'top'> = {}): { set: FrameSet; label: string } {
  const files = dataFiles(args, command, what);
  const set = openFrameSet(files, { ...unitsOption(args, command), ...opts, top: optString(args, 'top') });
  const label = files.length === 1 ? files[0] : `${files.length} files (${files[0]} … ${files[files.length - 1]})`;
  return { set, label };
}

/**
 * Whether to stream `set` (`--stream`, or its positions and forces as float32 exceed
 * `--memory-gb`, default 2), and a sentence that says why.
 */
export function streamChoice(args: ParsedArgs, command: string, set: FrameSet): { stream: boolean; why: string } {
  const memoryGb = numberOption(args, 'memory-gb', command, 2) as number;
  if (!(memoryGb > 0)) throw new Error(`cglab ${command}: --memory-gb must be a positive size in GB, got ${memoryGb}`);
  // What the in-memory path holds at least: every frame's positions and forces.
  const gb = (set.nFrames * set.nAtoms * 3 * 4 * 2) / 1e9;
  const asked = args.options.has('stream');
  return { stream: asked || gb > memoryGb, why: `${set.nFrames} frames, ${gb.toFixed(2)} GB of positions and forces${asked ? '' : `, more than --memory-gb ${memoryGb}`}` };
}
