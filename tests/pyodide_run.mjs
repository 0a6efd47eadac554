// Runs a Python file in real Pyodide under Node.js, as the page's worker would run pynet, with the
// page's Stop at hand: `node tests/pyodide_run.mjs SCRIPT.py NUMPY_WHEEL` (tests/test_pyodide_stop.py).
//
// The repository is mounted at /repo. Python sees `js.stop()`, which writes SIGINT into Pyodide's interrupt
// buffer as the page's Stop button does, and `js.matmul`, a float32 product with the signature of the
// worker's XNNPACK one (pynet.blas.use_matmul) that calls stop() on its `js.stopAtCall`-th call: a Stop
// landing while Python waits for JavaScript, in the middle of a training step.
import { loadPyodide } from '../node_modules/pyodide/pyodide.mjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [script, wheel] = process.argv.slice(2);
const repo = fileURLToPath(new URL('..', import.meta.url));
const pyodide = await loadPyodide({ indexURL: fileURLToPath(new URL('../node_modules/pyodide/', import.meta.url)) });
await pyodide.loadPackage(wheel, { messageCallback: () => {} });
pyodide.FS.mkdir('/repo');
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: repo }, '/repo');

const interrupt = new Uint8Array(new SharedArrayBuffer(1));
pyodide.setInterruptBuffer(interrupt);
globalThis.stop = () => { interrupt[0] = 2; };
globalThis.stopAtCall = 0;
globalThis.matmulCalls = 0;
globalThis.matmul = (a, b, out, m, k, n, key) => {
  const heap = pyodide._module.HEAPF32;
  const [A, B, O] = [a >>> 2, b >>> 2, out >>> 2];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let t = 0; t < k; t++) sum += heap[A + i * k + t] * heap[B + t * n + j];
      heap[O + i * n + j] = sum;
    }
  }
  if (++globalThis.matmulCalls === globalThis.stopAtCall) globalThis.stop();
};
await pyodide.runPythonAsync(readFileSync(script, 'utf8'));
