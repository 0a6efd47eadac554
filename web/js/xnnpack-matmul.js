/*
 * A fast float32 matrix product for pynet inside the worker: XNNPACK's WebAssembly SIMD kernel, as
 * shipped in TensorFlow.js's WebAssembly backend (npm, vendored by build.py into vendor/tfjs/).
 *
 * Why: Pyodide's NumPy multiplies matrices at 1.5-4 GFLOP/s and its OpenBLAS (no SIMD in WebAssembly) at
 * 4-10; XNNPACK reaches 30-45 on one core. pynet.blas.use_matmul() takes the function returned here;
 * pynet stays pure Python and gives the same results, up to the order of floating-point sums.
 *
 * Only tfjs-core and its WebAssembly backend are loaded, and only to start the backend's module: each
 * product goes straight to the module's BatchMatMul kernel, not through tf.matMul. TF.js's tensor
 * machinery (engine, kernel registry, tensor objects, a copied result) cost ~40 us a call, more than the
 * kernel itself on pynet's small products, and so did a buffer proxy for each NumPy array: Python passes
 * addresses in Pyodide's memory instead. The kernel packs its right operand before multiplying (~2 ns a
 * float, a quarter of a (100, 620) @ (620, 100) product): a constant right operand (a training batch,
 * pynet.blas.Constant) is kept, packed, between products. The backend runs single-threaded: its threaded
 * build runs matrix products on one thread anyway.
 */

const VENDOR_URL = new URL('../vendor/tfjs/', import.meta.url);

// The backend module's kernel: BatchMatMul(a_id, a_shape, a_rank, b_id, b_shape, b_rank, transpose_a,
// transpose_b, out_id), on tensors registered by id. It runs XNNPACK's fully-connected operator, which it
// caches on b's id with b packed inside: a fresh id for b on every call keeps a stale b from being reused.
const KERNEL_ARGS = ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number'];

/**
 * Load tfjs-core and the WebAssembly backend; resolve to `matmul(aAddress, bAddress, outAddress, m, k, n,
 * bKey)`, which writes the (m, n) product of the row-major float32 matrices a (m, k) and b (k, n) to
 * `outAddress`; addresses are byte offsets in the memory of `pyodide` (NumPy arrays' data pointers). A
 * non-zero `bKey` says b is constant (pynet.blas.Constant): it is kept, packed, until `matmul.forget(bKey)`;
 * `matmul.kept()` counts the matrices kept.
 */
export async function loadMatmul(pyodide) {
  const python = pyodide && pyodide._module;  // Pyodide's Emscripten module, whose HEAPF32 is Python's memory
  if (!python || !python.HEAPF32) throw new Error('this Pyodide does not expose its memory');
  const kernel = await startKernel();
  const matmul = (aAddress, bAddress, outAddress, m, k, n, bKey = 0) => {
    const heap = python.HEAPF32;
    const a = heap.subarray(aAddress >>> 2, (aAddress >>> 2) + m * k);
    const b = heap.subarray(bAddress >>> 2, (bAddress >>> 2) + k * n);
    heap.set(kernel.multiply(a, b, m, k, n, bKey), outAddress >>> 2);  // no Python runs: heap stays valid
  };
  matmul.forget = (key) => kernel.forget(key);
  matmul.kept = () => kernel.kept();
  return matmul;
}

/**
 * XNNPACK's product: `multiply(a, b, m, k, n, key)` copies the Float32Arrays a (m*k) and b (k*n)
 * into the backend's memory and returns a view of the (m, n) product there, valid until the next call.
 * With a non-zero `key`, b is copied on the first call only and stays registered under one tensor id, so
 * the backend also keeps the operator that holds it packed; `forget(key)` drops both.
 */
async function startKernel() {
  const backend = await startBackend();
  const wasm = backend.wasm;
  const batchMatMul = wasm.cwrap('BatchMatMul', null, KERNEL_ARGS);
  const aShape = new Int32Array([1, 0, 0]), bShape = new Int32Array([1, 0, 0]);  // a batch of one matrix
  const aShapeBytes = new Uint8Array(aShape.buffer), bShapeBytes = new Uint8Array(bShape.buffer);
  let region = 0, capacity = 0;  // floats: a, then b, then out, in the backend's memory; it only grows
  const kept = new Map();  // key -> {id, offset}: constant right operands

  const register = (size, offset) => {
    const id = backend.dataIdNextNumber++;
    wasm.tfjs.registerTensor(id, size, offset);
    return id;
  };
  const keep = (key, b, size) => {
    let entry = kept.get(key);
    if (!entry) {
      const offset = wasm._malloc(size * 4) >>> 0;
      if (!offset) throw new Error('out of memory for a kept matrix');
      wasm.HEAPF32.set(b, offset >>> 2);
      entry = { id: register(size, offset), offset };
      kept.set(key, entry);
    }
    return entry.id;
  };

  return {
    multiply(a, b, m, k, n, key = 0) {
      const sizes = [m * k, k * n, m * n];
      const total = sizes[0] + sizes[1] + sizes[2];
      const bId = key ? keep(key, b, sizes[1]) : 0;  // before _malloc below, which may grow the memory
      if (total > capacity) {
        if (region) wasm._free(region);
        region = wasm._malloc(total * 4) >>> 0;
        capacity = region ? total : 0;
        if (!region) throw new Error('out of memory for a matrix product');
      }
      const offsets = [region, region + sizes[0] * 4, region + (sizes[0] + sizes[1]) * 4];
      const heap = wasm.HEAPF32;  // read after _malloc, which may have grown (and replaced) it
      heap.set(a, offsets[0] >>> 2);
      if (!key) heap.set(b, offsets[1] >>> 2);
      const ids = [register(sizes[0], offsets[0]), key ? bId : register(sizes[1], offsets[1]),
                   register(sizes[2], offsets[2])];
      try {
        aShape[1] = m; aShape[2] = k;
        bShape[1] = k; bShape[2] = n;
        batchMatMul(ids[0], aShapeBytes, 3, ids[1], bShapeBytes, 3, 0, 0, ids[2]);
      } finally {
        // Unregister; the region is kept. A fresh b's id goes too, with the operator cached on it.
        ids.forEach((id, i) => { if (i !== 1 || !key) wasm.tfjs.disposeData(id); });
      }
      return wasm.HEAPF32.subarray(offsets[2] >>> 2, (offsets[2] >>> 2) + sizes[2]);
    },
    forget(key) {
      const entry = kept.get(key);
      if (!entry) return;
      kept.delete(key);
      wasm.tfjs.disposeData(entry.id);
      wasm._free(entry.offset);
    },
    kept: () => kept.size,
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
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);  // its threads would not serve matrix products
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
