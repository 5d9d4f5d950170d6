/** Writing files so that a reader never sees a partial one. */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * A file written piece by piece into a temporary file in the folder of `path` and renamed into
 * place by {@link commit}: until then, and if {@link abort} is called or the process dies, any
 * previous file at `path` is untouched and no partial file appears there. For output too large
 * to hold in memory (a trajectory of millions of frames).
 */
export class AtomicFile {
  /** The temporary file being written. */
  readonly tmp: string;
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
    this.fd = openSync(this.tmp, 'w');
  }

  /** Append `data` (UTF-8 for a string). */
  write(data: Uint8Array | string): void {
    if (this.fd === undefined) throw new Error(`${this.path}: the file was already committed or aborted; open a new one to write more`);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Flush to disk, close and rename into place. */
  commit(): void {
    if (this.fd === undefined) throw new Error(`${this.path}: the file was already committed or aborted`);
    const fd = this.fd;
    this.fd = undefined;
    try {
      fsyncSync(fd);
      closeSync(fd);
      renameSync(this.tmp, this.path);
    } catch (e) {
      rmSync(this.tmp, { force: true });
      throw e;
    }
  }

  /** Close and delete the temporary file, leaving `path` as it was; a no-op once committed or aborted. */
  abort(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } finally {
      rmSync(this.tmp, { force: true });
    }
  }
}

/**
 * Write `data` to `path` through a temporary file in the same folder, then rename it into
 * place: an interrupted or failed write leaves any previous file untouched.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const file = new AtomicFile(path);
  file.write(data);
  file.commit();
}
