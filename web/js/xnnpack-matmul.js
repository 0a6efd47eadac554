/*
 * A fast float32 matrix product for pynet inside the worker: XNNPACK's WebAssembly SIMD kernel, as
 * shipped in TensorFlow.js's WebAssembly backend (npm, vendored by build.py into vendor/tfjs/).
 *
 * Why: Pyodide's NumPy multiplies matrices at 1.5-4 GFLOP/s and its OpenBLAS (no SIMD in WebAssembly) at
 * 4-10; XNNPACK reaches about 30 on one core. pynet.blas.use_matmul() takes the function returned here;
 * pynet stays pure Python and gives the same results, up to the order of floating-point sums.
 *
 * Only tfjs-core and its WebAssembly backend are used (kernels run through tf.matMul); the rest of TF.js
 * is not loaded. The backend runs single-threaded: its threaded build would start its own workers to
 * compete for the same two cores as this one.
 */

const VENDOR_URL = new URL('../vendor/tfjs/', import.meta.url);

/**
 * Load tfjs-core and the WebAssembly backend; resolve to `matmul(a, b, out)`, which writes `a @ b` into
 * `out`, all three being C-contiguous float32 NumPy arrays passed from Python (PyProxies of buffers).
 */
export async function loadMatmul() {
  // The ES builds of these packages import Node modules (fs, path), and a module worker has no
  // importScripts: importing their UMD builds as modules runs them, and they install `globalThis.tf`.
  await import(new URL('tf-core.es2017.min.js', VENDOR_URL).href);
  await import(new URL('tf-backend-wasm.es2017.min.js', VENDOR_URL).href);
  const tf = globalThis.tf;
  if (!tf || !tf.wasm) throw new Error('the TensorFlow.js files in vendor/tfjs/ did not load');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tf.wasm.setWasmPaths(VENDOR_URL.href);
  // Without SIMD the kernel is no faster than OpenBLAS, which the worker then uses instead.
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('this browser has no WebAssembly SIMD');
  if (!(await tf.setBackend('wasm'))) throw new Error('the WebAssembly backend did not start');
  tf.enableProdMode();  // no per-op NaN checks: pynet checks its own losses

  return function matmul(aProxy, bProxy, outProxy) {
    const a = aProxy.getBuffer('f32');
    const b = bProxy.getBuffer('f32');
    const out = outProxy.getBuffer('f32');
    try {
      const [m, k] = a.shape;
      const n = b.shape[1];
      // Views into Pyodide's memory; tf.tensor2d copies them into the backend's own memory.
      const product = tf.tidy(() => tf.matMul(
        tf.tensor2d(a.data.subarray(a.offset, a.offset + m * k), [m, k]),
        tf.tensor2d(b.data.subarray(b.offset, b.offset + k * n), [k, n]),
      ));
      try {
        out.data.set(product.dataSync(), out.offset);
      } finally {
        product.dispose();
      }
    } finally {
      a.release();
      b.release();
      out.release();
    }
  };
}
