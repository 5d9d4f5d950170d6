/**
 * Hard assignments of atoms to beads — what a learned (Gumbel-softmax) mapping becomes — with
 * every bead keeping at least one atom: the one-hot matrix C [beads × atoms] and the bead
 * groups (for maps: `groupMap`; the consistent force map: `basicForceMap`).
 */
/**
 * Each atom's bead: the argmax over beads of `scores` [atoms × beads] (row-major), then, while a
 * bead is empty, the atom whose move costs the least score (score of the empty bead minus that
 * of its own) among atoms whose bead keeps another atom is moved to it. The result depends on
 * the scores alone, so the same logits always give the same map.
 * @throws Error when there are more beads than atoms.
 */
export function hardAssignment(scores: ArrayLike<number>, nBeads: number, nAtoms: number): Int32Array {
  if (!Number.isInteger(nBeads) || nBeads < 1) throw new Error(`hardAssignment: beads must be a positive integer, got ${nBeads}`);
  if (nBeads > nAtoms) throw new Error(`hardAssignment: ${nBeads} beads cannot each keep an atom of ${nAtoms}: use at most ${nAtoms} beads`);
  if (scores.length !== nBeads * nAtoms) throw new Error(`hardAssignment: scores have ${scores.length} values, expected ${nAtoms} atoms × ${nBeads} beads`);
  const bead = new Int32Array(nAtoms);
  const count = new Int32Array(nBeads);
  for (let i = 0; i < nAtoms; i++) {
    let best = 0;
    for (let k = 1; k < nBeads; k++) if (scores[i * nBeads + k] > scores[i * nBeads + best]) best = k;
    bead[i] = best;
    count[best]++;
  }
  for (let k = 0; k < nBeads; k++) {
    if (count[k] > 0) continue;
    let pick = -1;
    let cost = Infinity;
    for (let i = 0; i < nAtoms; i++) {
      if (count[bead[i]] < 2) continue;
      const c = scores[i * nBeads + bead[i]] - scores[i * nBeads + k];
      if (c < cost) {
        cost = c;
        pick = i;
      }
    }
    count[bead[pick]]--;
    bead[pick] = k;
    count[k] = 1;
  }
  return bead;
}

/** The atoms of each bead, in atom order. */
export function assignmentGroups(bead: ArrayLike<number>, nBeads: number): number[][] {
  const groups: number[][] = Array.from({ length: nBeads }, () => []);
  for (let i = 0; i < bead.length; i++) groups[bead[i]].push(i);
  return groups;
}

/** The one-hot matrix C [beads × atoms] of an assignment, row-major. */
export function oneHot(bead: ArrayLike<number>, nBeads: number): Float32Array {
  const c = new Float32Array(nBeads * bead.length);
  for (let i = 0; i < bead.length; i++) c[bead[i] * bead.length + i] = 1;
  return c;
}

/** How chemically sensible a set of bead groups is, judged on the bond graph. */
export interface AssignmentCheck {
  /** Beads whose atoms do not form one connected piece of the bond graph. */
  disconnected: number[];
  /** Hydrogens (element H) in another bead than the heavy atom they are bonded to. */
  strayHydrogens: number[];
  /** Both lists empty. */
  ok: boolean;
}

/**
 * Check that every bead's atoms form a connected piece of `bonds` and that each hydrogen shares
 * its bead with the heavy atom it is bonded to.
 * @param elements [atoms] element symbols.
 */
export function checkAssignment(groups: ReadonlyArray<readonly number[]>, bonds: ReadonlyArray<readonly [number, number]>, elements: readonly string[]): AssignmentCheck {
  const nAtoms = elements.length;
  const bead = new Int32Array(nAtoms).fill(-1);
  groups.forEach((g, k) => g.forEach((i) => (bead[i] = k)));
  const adjacent: number[][] = Array.from({ length: nAtoms }, () => []);
  for (const [i, j] of bonds) {
    adjacent[i].push(j);
    adjacent[j].push(i);
  }
  const disconnected = groups.flatMap((g, k) => {
    if (g.length === 0) return [];
    const seen = new Set([g[0]]);
    const stack = [g[0]];
    while (stack.length) for (const j of adjacent[stack.pop() as number]) if (bead[j] === k && !seen.has(j)) (seen.add(j), stack.push(j));
    return seen.size === g.length ? [] : [k];
  });
  const isH = (i: number) => elements[i].toUpperCase() === 'H';
  const strayHydrogens = [...Array(nAtoms).keys()].filter((i) => isH(i) && adjacent[i].some((j) => !isH(j) && bead[j] !== bead[i]));
  return { disconnected, strayHydrogens, ok: disconnected.length === 0 && strayHydrogens.length === 0 };
}
