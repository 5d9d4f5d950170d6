/** Command-line parsing shared by every `cglab` subcommand. */

/** Parsed arguments: positionals in order, and `--name value` / `--flag` options. */
export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
  /** Values of the options that take several (`multi`), in order. */
  lists: Map<string, string[]>;
}

/** Thrown by `parseArgs` for `--help` or `-h`: `main` prints the command's usage and its options. */
export class HelpRequest extends Error {
  constructor(command: string, readonly optionNames: string[]) {
    super(`cglab ${command}: --help`);
  }
}

/**
 * Parse `argv` against the option names a command accepts. `valued` options take the next
 * argument (or `--name=value`); `multi` options take every argument up to the next option
 * (`--data a.trr b.trr`, as a shell expands `--data run*.trr`), may be repeated, and are read
 * with {@link optList}; `flags` take none. Anything else is an error naming the option; `--help`
 * or `-h` anywhere throws a `HelpRequest`.
 */
export function parseArgs(argv: string[], spec: { valued?: string[]; multi?: string[]; flags?: string[] }, command: string): ParsedArgs {
  const valued = new Set(spec.valued ?? []);
  const multi = new Set(spec.multi ?? []);
  const flags = new Set(spec.flags ?? []);
  const names = () => [...multi, ...valued, ...flags].map((n) => `--${n}`);
  if (argv.some((a) => a === '--help' || a === '-h')) throw new HelpRequest(command, names());
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (multi.has(name)) {
      const values = lists.get(name) ?? [];
      if (eq >= 0) values.push(a.slice(eq + 1));
      else while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) values.push(argv[++i]);
      if (values.length === 0) throw new Error(`cglab ${command}: --${name} needs a value`);
      lists.set(name, values);
    } else if (flags.has(name)) {
      if (eq >= 0) throw new Error(`cglab ${command}: --${name} takes no value`);
      options.set(name, true);
    } else if (valued.has(name)) {
      const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) {
        throw new Error(`cglab ${command}: --${name} needs a value`);
      }
      options.set(name, value);
    } else {
      const known = names().join(', ') || 'none';
      throw new Error(`cglab ${command}: unknown option --${name} (options: ${known})`);
    }
  }
  return { positional, options, lists };
}

/** A valued option as a string, or undefined when absent. */
export function optString(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** The values of a `multi` option, or undefined when absent. */
export function optList(args: ParsedArgs, name: string): string[] | undefined {
  return args.lists.get(name);
}
