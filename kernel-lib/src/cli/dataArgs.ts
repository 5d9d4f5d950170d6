/**
 * The `--data` option of the commands that learn from frames: one or more files, in any format
 * cglab reads, or glob patterns (`--data 'runs/*.trr'`, or the shell's own expansion), read as
 * one set of frames (io/frameSet.ts).
 */
import { expandDataPaths, openFrameSet, type FrameSet, type FrameSetOptions } from '../io/frameSet.js';
import { optList, optString, type ParsedArgs } from './args.js';

/** The files `--data` names, globs expanded. @throws Error when `--data` is missing. */
export function dataFiles(args: ParsedArgs, command: string, what: string): string[] {
  const given = optList(args, 'data');
  if (!given) throw new Error(`cglab ${command}: --data ${what} is required`);
  return expandDataPaths(given);
}

/** `--data` (with `--top`) as one set of frames, and a label that names it in messages. */
export function dataSet(args: ParsedArgs, command: string, what: string, opts: Omit<FrameSetOptions, 'top'> = {}): { set: FrameSet; label: string } {
  const files = dataFiles(args, command, what);
  const set = openFrameSet(files, { ...opts, top: optString(args, 'top') });
  const label = files.length === 1 ? files[0] : `${files.length} files (${files[0]} … ${files[files.length - 1]})`;
  return { set, label };
}
