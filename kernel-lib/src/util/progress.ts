/**
 * A terminal progress bar for long work. On a TTY it redraws one line; elsewhere (CI logs,
 * pipes) it prints a line at most every 10 % so logs stay readable.
 */
export interface ProgressBar {
  update(done: number, total: number, note?: string): void;
  done(note?: string): void;
}

/** A progress bar on `stream` (default stderr) labelled `label`. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  const start = Date.now();
  let lastDecile = -1;
  const tty = Boolean(stream.isTTY);
  const line = (done: number, total: number, note?: string) => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const width = 24;
    const fill = Math.round(frac * width);
    const secs = (Date.now() - start) / 1000;
    const eta = frac > 0 && frac < 1 ? ` eta ${Math.round((secs / frac) * (1 - frac))} s` : '';
    return `${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total} ${secs.toFixed(1)} s${eta}${note ? ` ${note}` : ''}`;
  };
  return {
    update(done, total, note) {
      if (tty) {
        stream.write(`\r${line(done, total, note)}\x1b[K`);
        return;
      }
      const decile = Math.floor((done / Math.max(total, 1)) * 10);
      if (decile > lastDecile) {
        lastDecile = decile;
        stream.write(line(done, total, note) + '\n');
      }
    },
    done(note) {
      if (tty) stream.write('\n');
      if (note) stream.write(`${label}: ${note}\n`);
    },
  };
}
