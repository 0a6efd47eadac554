/*
 * A fast float32 matrix product for pynet inside the worker: XNNPACK's WebAssembly SIMD kernel, as
 * shipped in TensorFlow.js's WebAssembly backend (npm, vendored by build.py into vendor/tfjs/).
 *
 * Why: Pyodide's NumPy multiplies matrices at 1.5-4 GFLOP/s and its OpenBLAS (no SIMD in WebAssembly) at
 * 4-10; XNNPACK reaches 30-40 on one core. pynet.blas.use_matmul() takes the function returned here;
 * pynet stays pure Python and gives the same results, up to the order of floating-point sums.
 *
 * Only tfjs-core and its WebAssembly backend are loaded, and only to start the backend's module: each
 * product goes straight to the module's BatchMatMul kernel, not through tf.matMul. TF.js's tensor
 * machinery (engine, kernel registry, tensor objects, a copied result) cost ~40 us a call, more than the
 * kernel itself on pynet's small products, and so did a buffer proxy for each NumPy array: Python passes
 * addresses in Pyodide's memory instead. The backend runs single-threaded: its threaded build would start
 * its own workers to compete for the same two cores as this one.
 */

const VENDOR_URL = new URL('../vendor/tfjs/', import.meta.url);

// The backend module's kernel: BatchMatMul(a_id, a_shape, a_rank, b_id, b_shape, b_rank, transpose_a,
// transpose_b, out_id), on tensors registered by id. It runs XNNPACK's fully-connected operator, which it
// caches on b's id with b packed inside: a fresh id for b on every call keeps a stale b from being reused.
const KERNEL_ARGS = ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number'];

/**
 * Load tfjs-core and the WebAssembly backend; resolve to `matmul(aAddress, bAddress, outAddress, m, k, n)`,
 * which writes the (m, n) product of the row-major float32 matrices a (m, k) and b (k, n) to `outAddress`;
 * addresses are byte offsets in the memory of `pyodide` (NumPy arrays' data pointers).
 */
export async function loadMatmul(pyodide) {
  const python = pyodide && pyodide._module;  // Pyodide's Emscripten module, whose HEAPF32 is Python's memory
  if (!python || !python.HEAPF32) throw new Error("this Pyodide does not expose its memory");
  const backend = await startBackend();
  const wasm = backend.wasm;
  const kernel = wasm.cwrap('BatchMatMul', null, KERNEL_ARGS);
  const aShape = new Int32Array(3), bShape = new Int32Array(3);
  const aShapeBytes = new Uint8Array(aShape.buffer), bShapeBytes = new Uint8Array(bShape.buffer);
  aShape[0] = bShape[0] = 1;  // a batch of one matrix
  let region = 0, capacity = 0;  // floats: a, then b, then out, in the backend's memory; it only grows

  return function matmul(aAddress, bAddress, outAddress, m, k, n) {
    const sizes = [m * k, k * n, m * n];
    if (sizes[0] + sizes[1] + sizes[2] > capacity) {
      if (region) wasm._free(region);
      capacity = sizes[0] + sizes[1] + sizes[2];
      region = wasm._malloc(capacity * 4) >>> 0;
      if (!region) { capacity = 0; throw new Error('out of memory for a matrix product'); }
    }
    const offsets = [region, region + sizes[0] * 4, region + (sizes[0] + sizes[1]) * 4];
    const heap = wasm.HEAPF32;  // read after _malloc, which may have grown (and replaced) it
    heap.set(python.HEAPF32.subarray(aAddress >>> 2, (aAddress >>> 2) + sizes[0]), offsets[0] >>> 2);
    heap.set(python.HEAPF32.subarray(bAddress >>> 2, (bAddress >>> 2) + sizes[1]), offsets[1] >>> 2);
    const ids = sizes.map((size, i) => {
      const id = backend.dataIdNextNumber++;
      wasm.tfjs.registerTensor(id, size, offsets[i]);
      return id;
    });
    try {
      aShape[1] = m; aShape[2] = k;
      bShape[1] = k; bShape[2] = n;
      kernel(ids[0], aShapeBytes, 3, ids[1], bShapeBytes, 3, 0, 0, ids[2]);
      python.HEAPF32.set(heap.subarray(offsets[2] >>> 2, (offsets[2] >>> 2) + sizes[2]), outAddress >>> 2);
    } finally {
      ids.forEach((id) => wasm.tfjs.disposeData(id));  // unregisters; the region itself is kept
    }
  };
}

/** tfjs-core and the WebAssembly backend, started; resolves to the backend (its `wasm` module). */
async function startBackend() {
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
  const backend = tf.backend();
  const wasm = backend && backend.wasm;
  if (!wasm || !wasm.cwrap || !wasm.tfjs || typeof backend.dataIdNextNumber !== 'number') {
    throw new Error('this TensorFlow.js WebAssembly backend has an unexpected shape');
  }
  return backend;
}
