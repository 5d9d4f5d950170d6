/**
 * Matching the atoms of a file to the atoms of a system when their order differs: residues in
 * sequence order, then atoms by name within each residue. Common alternative spellings of cap
 * hydrogens and carbons (AMBER vs. PDB/CHARMM, as OpenMM's pdbNames.xml lists them) are
 * accepted, so a structure written by another tool still matches.
 */
import type { Topology } from './topology.js';

/** Alternative names → the system's name, per residue (only where tools disagree). */
const ALIASES: Record<string, Record<string, string>> = {
  ACE: { H1: 'HH31', H2: 'HH32', H3: 'HH33', '1HH3': 'HH31', '2HH3': 'HH32', '3HH3': 'HH33', CA: 'CH3', CAY: 'CH3', CY: 'C', OY: 'O' },
  NME: { C: 'CH3', CT: 'CH3', CAT: 'CH3', H1: 'HH31', H2: 'HH32', H3: 'HH33', '1HH3': 'HH31', '2HH3': 'HH32', '3HH3': 'HH33', HN: 'H', NT: 'N' },
  '*': { HN: 'H', H1: 'H' },
};
const RESIDUE_ALIASES: Record<string, string> = { NMA: 'NME' };

interface Residue {
  name: string;
  atoms: number[];
}

/** Residues as runs of consecutive atoms with the same chain, number and name. */
function residues(top: Topology): Residue[] {
  const out: Residue[] = [];
  let key = '';
  top.atoms.forEach((a, i) => {
    const k = `${a.chain ?? ''}|${a.resid}|${a.residue}`;
    if (k !== key) out.push({ name: RESIDUE_ALIASES[a.residue] ?? a.residue, atoms: [] });
    key = k;
    out[out.length - 1].atoms.push(i);
  });
  return out;
}

/**
 * For each atom of `input`, the index of the same atom in `system`.
 * @param where names the input file in errors
 * @throws Error naming the residue and atom that has no counterpart, or the atom counts.
 */
export function matchAtoms(input: Topology, system: Topology, where: string): Int32Array {
  if (input.atoms.length !== system.atoms.length) {
    throw new Error(`${where}: has ${input.atoms.length} atoms, the system has ${system.atoms.length}`);
  }
  const ri = residues(input);
  const rs = residues(system);
  if (ri.length !== rs.length) {
    throw new Error(`${where}: has ${ri.length} residues (${ri.map((r) => r.name).join('-')}), the system has ${rs.length} (${rs.map((r) => r.name).join('-')})`);
  }
  const map = new Int32Array(input.atoms.length).fill(-1);
  ri.forEach((res, k) => {
    const target = rs[k];
    if (res.name !== target.name) {
      throw new Error(`${where}: residue ${k + 1} is ${res.name}, the system's is ${target.name}`);
    }
    const byName = new Map(target.atoms.map((i) => [system.atoms[i].name, i]));
    for (const i of res.atoms) {
      const name = input.atoms[i].name;
      const candidates = [name, ALIASES[res.name]?.[name], ALIASES['*'][name]].filter((n): n is string => n !== undefined);
      const j = candidates.map((n) => byName.get(n)).find((v) => v !== undefined);
      if (j === undefined) {
        throw new Error(`${where}: atom ${name} of residue ${k + 1} (${res.name}) has no counterpart; the system's ${res.name} has ${[...byName.keys()].join(', ')}`);
      }
      byName.delete(system.atoms[j].name);
      map[i] = j;
    }
  });
  return map;
}

/** True when `map` is the identity (the input is already in the system's order). */
export function isIdentity(map: Int32Array): boolean {
  return map.every((j, i) => j === i);
}
