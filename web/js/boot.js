// The Python worker, started by the page's first script. Booting Pyodide and importing NumPy is the
// longest wait of a visit; started here, it begins while the page still fetches its own modules (main.js
// and its thirty-odd imports), instead of after them. index.html loads this module `async` in its head;
// trainer-client.js imports the same module (one instance) and adopts the worker with `takeWorker()`.
//
// Until it is adopted, whatever the worker says (progress, ready, an error) is kept in order and handed
// over with it, so nothing it said before the page listened is lost.

const query = new URLSearchParams(self.location.search);

// Shared memory lets the page reach Python while it is busy (pause/stop between batches, interrupt a long
// batch). It needs a cross-origin isolated page (COOP/COEP headers). One pair serves every worker of the
// page's life (Reset starts a new worker with the same pair).
const isolated = Boolean(self.crossOriginIsolated && typeof SharedArrayBuffer === 'function');
export const shared = {
  isolated,
  control: isolated ? new Int32Array(new SharedArrayBuffer(4)) : null,
  interrupt: isolated ? new Uint8Array(new SharedArrayBuffer(1)) : null,
};

/**
 * A new worker, already told to load: {worker, lifeline}. The init message carries everything loading
 * needs, so nothing waits for the page's modules.
 */
export function startWorker() {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'pynet-python' });
  const lifeline = `pynet-worker-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  worker.postMessage({
    type: 'init',
    control: shared.control ? shared.control.buffer : null,
    interrupt: shared.interrupt ? shared.interrupt.buffer : null,
    lifeline,
    // `?matmul=numpy|openblas|xnnpack` pins the matrix-product library, `?threads=1` XNNPACK's one-thread
    // build, to measure what each brings.
    matmul: query.get('matmul') || 'auto',
    threads: Number(query.get('threads')) || 0,
  });
  return { worker, lifeline };
}

// The first worker, and what it says until the page adopts it.
let first = startWorker();
const said = [];  // [{kind: 'message'|'error'|'messageerror', event}], in order
const keepers = ['message', 'error', 'messageerror'].map((kind) => {
  const keep = (event) => {
    if (kind === 'error') event.preventDefault();  // the page reports it, once it adopts the worker
    said.push({ kind, event });
  };
  first.worker.addEventListener(kind, keep);
  return [kind, keep];
});

/**
 * The page's worker, {worker, lifeline, said}: the one started with the page the first time, with what it
 * has said so far (`said`, to be handled before anything it says later), then a new one each time (Reset).
 */
export function takeWorker() {
  if (!first) return { ...startWorker(), said: [] };
  for (const [kind, keep] of keepers) first.worker.removeEventListener(kind, keep);
  const taken = { ...first, said: said.splice(0) };
  first = null;
  return taken;
}
