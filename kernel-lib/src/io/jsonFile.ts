/** Reading a JSON input file (a spec the user wrote) with a message that names it. */
import { readFileSync } from 'node:fs';

/**
 * Reads `file` and parses it as JSON; the caller checks the shape of what comes back.
 * @param what what the file should hold, for the message (e.g. "model spec").
 * @throws Error `${file}: not a readable JSON ${what} (${message})` when the file cannot be read or parsed.
 */
export function readJsonFile(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable JSON ${what} (${(e as Error).message})`);
  }
}
