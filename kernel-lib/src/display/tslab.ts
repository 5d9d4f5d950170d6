/**
 * The one adapter between MIME bundles and the tslab kernel. tslab's public `display.raw` sends
 * one MIME type per message, which would split a bundle into several outputs; a whole bundle
 * (and `update_display_data` for live outputs) needs its internal `lastWriteDisplayData` from
 * `tslab/dist/jupyter`. That hook is undocumented, so everything that touches it is here, with a
 * fallback to the public API (the SVG fallback alone, still updatable) and, outside a kernel, to
 * the text summary on stdout.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import type { MimeBundle } from './mime.js';

/** How bundles leave the process: tslab's full hook, its public API, or plain stdout. */
export type DisplayChannel = 'tslab' | 'tslab-public' | 'stdout';

/** A displayed output that can be replaced in place. */
export interface DisplayHandle {
  /** The Jupyter display_id. */
  readonly id: string;
  readonly channel: DisplayChannel;
  /** Replace the output's content with `bundle` (an `update_display_data` message). */
  update(bundle: MimeBundle): void;
}

/** The part of a loaded module cache this adapter reads: file name → module with exports. */
export type ModuleCache = Record<string, { exports?: unknown } | undefined>;

interface PublicDisplay {
  raw(contentType: string, b: string): void;
}

type WriteDisplayData = (content: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: { display_id: string } }, update: boolean) => void;

/** What `show` sends through; exported for tests, which give it a fake module cache. */
export interface DisplaySink {
  channel: DisplayChannel;
  send(bundle: MimeBundle, id: string, update: boolean): void;
}

// The kernel that runs this code has already loaded its own tslab: find that instance (never a
// second copy resolved from here, whose hook would never be set).
function loaded(cache: ModuleCache, file: string): Record<string, unknown> | undefined {
  const suffix = `${sep}tslab${sep}dist${sep}${file}`;
  for (const [key, mod] of Object.entries(cache)) {
    if (key.endsWith(suffix) && mod?.exports && typeof mod.exports === 'object') return mod.exports as Record<string, unknown>;
  }
  return undefined;
}

/**
 * The best sink available given the loaded modules: the full hook when tslab is running a cell,
 * else tslab's public display (SVG or text only), else stdout.
 */
export function resolveSink(cache: ModuleCache, stdout: { write(s: string): unknown } = process.stdout): DisplaySink {
  const jupyter = loaded(cache, 'jupyter.js');
  if (jupyter && 'lastWriteDisplayData' in jupyter) {
    return {
      channel: 'tslab',
      send(bundle, id, update) {
        // Read the hook at every send: tslab replaces it at the start of each cell.
        const write = jupyter.lastWriteDisplayData as WriteDisplayData | null;
        if (typeof write !== 'function') throw new Error('display: the tslab kernel is not executing a cell (no display hook yet)');
        write({ data: bundle.data, metadata: bundle.metadata, transient: { display_id: id } }, update);
      },
    };
  }
  const pub = loaded(cache, 'public.js');
  if (pub && typeof pub.newDisplay === 'function') {
    const displays = new Map<string, PublicDisplay>();
    return {
      channel: 'tslab-public',
      send(bundle, id) {
        let d = displays.get(id);
        if (!d) {
          d = (pub.newDisplay as () => PublicDisplay)();
          displays.set(id, d);
        }
        const svg = bundle.data['image/svg+xml'];
        if (typeof svg === 'string') d.raw('image/svg+xml', svg);
        else d.raw('text/plain', String(bundle.data['text/plain'] ?? ''));
      },
    };
  }
  return {
    channel: 'stdout',
    send(bundle) {
      stdout.write(`${String(bundle.data['text/plain'] ?? '[cglab display: no text/plain in bundle]')}\n`);
    },
  };
}

const require = createRequire(import.meta.url);

/** The channel `show` would use now. */
export function displayChannel(): DisplayChannel {
  return resolveSink(require.cache as ModuleCache).channel;
}

/**
 * Show `bundle` as a notebook output (or its text on stdout outside a kernel). Returns nothing,
 * so a notebook cell that ends with it prints nothing more.
 */
export function show(bundle: MimeBundle, sink: DisplaySink = resolveSink(require.cache as ModuleCache)): void {
  sink.send(bundle, randomUUID(), false);
}

/**
 * Show `bundle` and return a handle that replaces it in place, e.g. a loss curve while a model
 * trains (`liveCurves` does this for curves).
 */
export function showLive(bundle: MimeBundle, sink: DisplaySink = resolveSink(require.cache as ModuleCache)): DisplayHandle {
  const id = randomUUID();
  sink.send(bundle, id, false);
  return {
    id,
    channel: sink.channel,
    update(next) {
      sink.send(next, id, true);
    },
  };
}
