/** Analytic pair potentials U(r) (kJ/mol) and dU/dr (kJ/mol/nm) of r (nm), to tabulate in tests. */

/** Lennard-Jones of σ (nm) and ε (kJ/mol). */
export const lj = (sigma: number, epsilon: number) => (r: number) => {
  const x6 = (sigma / r) ** 6;
  return { u: 4 * epsilon * (x6 * x6 - x6), du: (-24 * epsilon * (2 * x6 * x6 - x6)) / r };
};

/** Morse of well depth (kJ/mol), stiffness a (1/nm) and minimum re (nm), zero at infinity. */
export const morse = (depth: number, a: number, re: number) => (r: number) => {
  const e = Math.exp(-a * (r - re));
  return { u: depth * ((1 - e) ** 2 - 1), du: 2 * depth * a * e * (1 - e) };
};
