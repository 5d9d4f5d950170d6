// The part of plotly.js this extension calls; the package ships no types.
declare module 'plotly.js-dist-min' {
  export type Trace = Record<string, unknown>;
  export type Layout = Record<string, unknown>;
  export function react(root: HTMLElement, data: Trace[], layout: Layout, config?: Record<string, unknown>): Promise<HTMLElement>;
  export function purge(root: HTMLElement): void;
  export const Plots: { resize(root: HTMLElement): Promise<void> };
}

// The self-contained UMD build of NGL; its API is the package's own declarations.
declare module 'ngl/dist/ngl.js' {
  export * from 'ngl';
}
