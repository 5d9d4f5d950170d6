/** Numbers in text formats (PDB, XYZ), read strictly. */

// Number() alone would accept '' (as 0), '0x1A' and 'Infinity'; a number in these formats is a
// plain decimal, so anything else is a corrupt field that must be reported, not read.
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * The value of a plain decimal number such as '-12.345' or '1e-3' (surrounding spaces allowed),
 * or NaN for anything else: blanks, hexadecimal, 'NaN', 'Infinity', stray characters.
 */
export function parseDecimal(text: string): number {
  const t = text.trim();
  return DECIMAL.test(t) ? Number(t) : Number.NaN;
}
