/** A plotly.js figure as the renderers hand it to `Plotly.react`. */
export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** Checks shared by every renderer: the payload is an object of a model version we can read. */
export function checkModel(data: unknown, mime: string): { version: number } {
  if (typeof data !== 'object' || data === null || typeof (data as { version?: unknown }).version !== 'number') {
    throw new Error(`${mime}: expected a JSON object with a numeric 'version', got ${JSON.stringify(data)?.slice(0, 80)}`);
  }
  const v = (data as { version: number }).version;
  if (v > 1) throw new Error(`${mime}: model version ${v} is newer than this extension (1); update cglab-jupyterlab`);
  return data as { version: number };
}
