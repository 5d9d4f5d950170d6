/**
 * Curves that grow while a model trains, redrawn in one notebook output. Updates are throttled
 * so a fast loop does not flood the notebook; `flush` sends the last points.
 *
 * tslab sends messages when the event loop runs: a cell that trains in one synchronous loop
 * shows the curve only at its end. Await between epochs (training with tfjs does) to see it grow.
 */
import { curves, type CurvesOptions, type Series } from './curves.js';
import type { MimeBundle } from './mime.js';
import { showLive, type DisplayHandle } from './tslab.js';

/** Options of `liveCurves`. */
export interface LiveCurvesOptions extends CurvesOptions {
  /** Least time between two redraws, ms. Default 250. */
  intervalMs?: number;
  /** Where to send the bundles; default `showLive` (the tslab adapter). For tests and other front ends. */
  show?: (bundle: MimeBundle) => DisplayHandle;
}

/** A live curves output; see `liveCurves`. */
export interface LiveCurves {
  /** Append the point (x, y) to metric `name` of `run` (default: the metric name), redrawing when due. */
  push(name: string, x: number, y: number, run?: string): void;
  /** Redraw now if points arrived since the last redraw. */
  flush(): void;
  /** The curves so far. */
  series(): Series[];
  /** The output's display id, once the first point has been shown. */
  readonly id: string | undefined;
}

/**
 * A curves output that updates in place. The first `push` shows it; later pushes redraw it at
 * most every `intervalMs`; call `flush()` after the loop.
 */
export function liveCurves(options: LiveCurvesOptions = {}): LiveCurves {
  const { intervalMs = 250, show: send = showLive, ...drawing } = options;
  const data = new Map<string, { name: string; run: string; x: number[]; y: number[] }>();
  let handle: DisplayHandle | undefined;
  let last = 0;
  let dirty = false;
  const list = (): Series[] => [...data.values()].map((s) => ({ ...s, x: [...s.x], y: [...s.y] }));
  const draw = () => {
    const bundle = curves(list(), drawing);
    if (handle) handle.update(bundle);
    else handle = send(bundle);
    last = Date.now();
    dirty = false;
  };
  return {
    push(name, x, y, run = name) {
      const key = `${run}\u0000${name}`;
      let s = data.get(key);
      if (!s) data.set(key, (s = { name, run, x: [], y: [] }));
      s.x.push(x);
      s.y.push(y);
      dirty = true;
      if (!handle || Date.now() - last >= intervalMs) draw();
    },
    flush() {
      if (dirty) draw();
    },
    series: list,
    get id() {
      return handle?.id;
    },
  };
}
