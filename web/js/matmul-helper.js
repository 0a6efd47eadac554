/*
 * The matrix-product helper: a second thread for pynet's large products (see xnnpack-matmul.js).
 *
 * It starts its own copy of XNNPACK's kernel, says {ready: true}, then serves products forever through
 * shared memory: it sleeps on the control word until the Pyodide worker sets WORK with
 * [state, m, k, n, b offset, out offset], multiplies a (at offset 0 of the staging floats) by b, writes
 * the product at the out offset and sets DONE (FAILED if the kernel threw). It never returns to its event
 * loop once serving, so it takes no further messages: the worker terminates it when it is done with it.
 */
import { spin, startKernel, WORK, DONE, FAILED } from './xnnpack-matmul.js';

self.onmessage = async ({ data: { control, staging } }) => {
  let kernel;
  try {
    kernel = await startKernel();
  } catch (err) {
    self.postMessage({ error: String(err && err.message) });
    return;
  }
  self.postMessage({ ready: true });
  for (;;) {
    if (!spin(control, (state) => state === WORK)) {
      const state = Atomics.load(control, 0);
      if (state !== WORK) Atomics.wait(control, 0, state);  // returns at once if the state changes first
      continue;
    }
    const [, m, k, n, bAt, outAt] = control;
    try {
      staging.set(kernel.multiply(staging.subarray(0, m * k), staging.subarray(bAt, bAt + k * n), m, k, n), outAt);
      Atomics.store(control, 0, DONE);
    } catch (err) {
      Atomics.store(control, 0, FAILED);
    }
    Atomics.notify(control, 0);
  }
};
