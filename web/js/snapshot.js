// Python's start restored from a memory snapshot (made by the build: web/sitebuild/snapshot.py) instead of
// run, on a return visit. Pyodide 0.27.7 restores only the bare interpreter: NumPy and pynet load after it
// as on any visit. Measured (bench/README.md, "Memory snapshots"): restoring is faster from a cache, but
// on a first visit over an ordinary link the snapshot's download costs more than it saves. So the worker
// restores one only where the offline copy (sw.js) already holds one, and starts Python the default way
// otherwise, or when a restore fails.

export const SNAPSHOT_FILE = 'snapshot.bin.gz';  // beside Pyodide's own files

/**
 * Whether this browser keeps a snapshot of the site: a return visit. Only a sign: the bytes are fetched
 * as every other file is (revalidated with the server while it can be reached, from the copy offline), so
 * a snapshot always belongs to the build that serves the runtime and the standard library it was made of.
 */
export async function snapshotKept(url) {
  if (typeof caches === 'undefined' || typeof DecompressionStream !== 'function') return false;
  try {
    return Boolean(await caches.match(url));
  } catch {
    return false;  // Cache Storage refused (a private window's policy, say): start the default way
  }
}

/** The snapshot's bytes, for loadPyodide's `_loadSnapshot` (which takes a promise of them). */
export async function snapshotBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${SNAPSHOT_FILE}: HTTP ${response.status}`);
  const stream = response.body.pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * What the restored memory holds that a default start would have set otherwise, set as it would have:
 * the language Emscripten gives Python's environment from the browser's (the build's Node.js had none),
 * and the one '' at the head of sys.path (loadPyodide adds it again after a restore).
 */
export function afterRestore(pyodide, languages = self.navigator && self.navigator.languages) {
  const lang = `${((languages && languages[0]) || 'C').replace('-', '_')}.UTF-8`;
  const ns = pyodide.globals.get('dict')();
  try {
    ns.set('lang', lang);
    pyodide.runPython('import os, sys\nos.environ["LANG"] = lang\nwhile sys.path[:2] == ["", ""]:\n    del sys.path[0]\n',
      { globals: ns });
  } finally {
    ns.destroy();
  }
}
