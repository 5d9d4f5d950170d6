/**
 * RDFs as CSV: a column `r_nm` of bin centres (nm), then one column g per type pair named
 * "A-B". `cglab fit pairs` writes the target it fitted to (`rdf-target.csv`) and reads one
 * given with `--target`.
 */
import { readFileSync } from 'node:fs';
import type { Rdf } from '../analysis/rdf.js';
import { writeFileAtomic } from './atomic.js';

/** Writes the RDF's bin centres and every pair's g. */
export function writeRdfCsv(path: string, rdf: Pick<Rdf, 'r' | 'pairs' | 'g'>): void {
  const lines = [['r_nm', ...rdf.pairs].join(',')];
  rdf.r.forEach((r, b) => lines.push([Number(r.toPrecision(12)), ...rdf.g.map((g) => g[b])].join(',')));
  writeFileAtomic(path, lines.join('\n') + '\n');
}

/**
 * Reads an RDF CSV; the bins must be evenly spaced centres (edges are rebuilt from them).
 * @throws Error naming the file, line and column for a missing `r_nm` column, a non-number,
 *   a row of the wrong length, or uneven bins.
 */
export function readRdfCsv(path: string): Rdf {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 3) throw new Error(`${path}: expected a header 'r_nm,A-B,…' and at least two rows of bins`);
  const header = lines[0].split(',').map((h) => h.trim());
  if (header[0] !== 'r_nm' || header.length < 2) throw new Error(`${path}: line 1: the header must be 'r_nm' followed by one column per type pair ('A-B'), got '${lines[0]}'`);
  const pairs = header.slice(1);
  const rows = lines.slice(1).map((l, i) => {
    const v = l.split(',').map(Number);
    if (v.length !== header.length) throw new Error(`${path}: line ${i + 2}: ${v.length} values, expected ${header.length} (${header.join(',')})`);
    v.forEach((x, c) => {
      if (!Number.isFinite(x)) throw new Error(`${path}: line ${i + 2}, column '${header[c]}': '${l.split(',')[c]}' is not a number`);
    });
    return v;
  });
  const r = Float64Array.from(rows, (v) => v[0]);
  const w = (r[r.length - 1] - r[0]) / (r.length - 1);
  r.forEach((x, b) => {
    if (Math.abs(x - (r[0] + b * w)) > 1e-6 * w) throw new Error(`${path}: line ${b + 2}, column 'r_nm': bin centres must be evenly spaced (expected ${r[0] + b * w} nm, found ${x})`);
  });
  return {
    r,
    edges: Float64Array.from({ length: r.length + 1 }, (_, b) => r[0] - w / 2 + b * w),
    pairs,
    g: pairs.map((_, c) => Float64Array.from(rows, (v) => v[c + 1])),
    frames: 0,
    blocks: 0,
  };
}
