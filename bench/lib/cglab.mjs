// The command line as the benchmarks call it: `cglab` in a child process, and the frames of a
// `cglab simulate` run after each replica's first ones.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../kernel-lib/bin/cglab.mjs', import.meta.url));

/** Run `cglab args`; its wall time, s, and the lines it wrote to stderr. @throws on a non-zero exit. */
export function cglab(args) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const lines = r.stderr.split(/[\r\n]/).filter((l) => l.trim());
  if (r.status !== 0) throw new Error(`cglab ${args.join(' ')} exited with ${r.status}: ${lines.slice(-3).join(' | ')}`);
  return { s: (performance.now() - t) / 1000, lines };
}

/** Positions of a replica-major data set of `replicas` replicas without each replica's first `skip` frames. */
export function afterSkip(t, replicas, skip) {
  const per = t.nFrames / replicas;
  const width = t.nAtoms * 3;
  const kept = new Float32Array(replicas * (per - skip) * width);
  for (let r = 0; r < replicas; r++) kept.set(t.positions.subarray((r * per + skip) * width, (r + 1) * per * width), r * (per - skip) * width);
  return kept;
}
