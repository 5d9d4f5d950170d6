/** Backend-specific speed-ups that change no number (filled in by the backend work). */
export function installBackendOptimisations(_backend: string): void {}
