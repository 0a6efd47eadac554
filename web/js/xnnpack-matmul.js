/*
 * A fast float32 matrix product for pynet inside the worker: XNNPACK's WebAssembly SIMD kernel, as
 * shipped in TensorFlow.js's WebAssembly backend (npm, vendored by build.py into vendor/tfjs/), on one or
 * two threads.
 *
 * Why: Pyodide's NumPy multiplies matrices at 1.5-4 GFLOP/s and its OpenBLAS (no SIMD in WebAssembly) at
 * 4-10; XNNPACK reaches 30-40 on one core. pynet.blas.use_matmul() takes the function returned here;
 * pynet stays pure Python and gives the same results, up to the order of floating-point sums.
 *
 * Only tfjs-core and its WebAssembly backend are loaded, and only to start the backend's module: each
 * product goes straight to the module's BatchMatMul kernel, not through tf.matMul. TF.js's tensor
 * machinery (engine, kernel registry, tensor objects, a copied result) cost ~40 us a call, more than the
 * kernel itself on pynet's small products, and so did a buffer proxy for each NumPy array: Python passes
 * addresses in Pyodide's memory instead.
 *
 * The second core: the backend's own threaded build runs its matrix product on one thread anyway, so a
 * helper worker of ours (matmul-helper.js), with its own copy of the kernel, takes the bottom half of the
 * rows of the products that are worth sharing, through shared memory. That needs a cross-origin isolated
 * page; without one, or if the helper fails, every product runs here.
 */

const VENDOR_URL = new URL('../vendor/tfjs/', import.meta.url);

// The backend module's kernel: BatchMatMul(a_id, a_shape, a_rank, b_id, b_shape, b_rank, transpose_a,
// transpose_b, out_id), on tensors registered by id. It runs XNNPACK's fully-connected operator, which it
// caches on b's id with b packed inside: a fresh id for b on every call keeps a stale b from being reused.
const KERNEL_ARGS = ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number'];

// Which products the helper shares: tall, thin ones (the full-batch linear preset's (1000, 600) @ (600, 10)
// and its transpose), bound by reading a, not by arithmetic: 1.5x faster on two threads. Measured in the
// page, sharing the 100-image batches' products made those presets 10-20% slower, though 15-25% faster in
// a bare worker: the page's own thread then competes for the second core, and each half still packs all
// of b (XNNPACK repacks b for every product, ~110 us for a 620x100 one).
const SHARE_MIN_ROWS = 500;
const SHARE_MAX_COLUMNS = 16;
const SHARE_MIN_MULTIPLY_ADDS = 1_000_000;
const STAGING_FLOATS = 4 << 20;   // 16 MB shared with the helper: any 784-input dense layer's products
const HELPER_TIMEOUT_MS = 2000;   // a helper this late is presumed gone: its rows are done here instead

// Around a shared product (linear's come ~0.3 ms apart) both threads spin rather than sleep: a wake-up from
// Atomics.wait takes ~45 us, a fifth of a shared product. After this long idle they sleep.
const SPIN_MS = 0.5;

// The control word shared with the helper (Int32Array): [state, m, k, n, b offset, out offset].
export const IDLE = 0, WORK = 1, DONE = 2, FAILED = 3;

/**
 * Load tfjs-core and the WebAssembly backend; resolve to `matmul(aAddress, bAddress, outAddress, m, k, n)`,
 * which writes the (m, n) product of the row-major float32 matrices a (m, k) and b (k, n) to `outAddress`;
 * addresses are byte offsets in the memory of `pyodide` (NumPy arrays' data pointers). `matmul.threads`
 * says whether a helper thread takes part (2) or not (1), `matmul.note` why not, `matmul.shared` in how
 * many products so far.
 */
export async function loadMatmul(pyodide, { threads = 2 } = {}) {
  const python = pyodide && pyodide._module;  // Pyodide's Emscripten module, whose HEAPF32 is Python's memory
  if (!python || !python.HEAPF32) throw new Error('this Pyodide does not expose its memory');
  const kernel = await startKernel();
  let helper = null, note = '';
  if (threads > 1) {
    try {
      helper = await startHelper(kernel);
    } catch (err) {
      note = `one thread: ${err && err.message}`;
    }
  }
  const matmul = (aAddress, bAddress, outAddress, m, k, n) => {
    const heap = python.HEAPF32;
    const a = heap.subarray(aAddress >>> 2, (aAddress >>> 2) + m * k);
    const b = heap.subarray(bAddress >>> 2, (bAddress >>> 2) + k * n);
    const out = heap.subarray(outAddress >>> 2, (outAddress >>> 2) + m * n);
    if (helper && helper.takes(m, k, n)) {
      if (helper.share(a, b, out, m, k, n)) {
        matmul.shared += 1;
        return;
      }
      note = 'one thread: the helper stopped answering';
      console.warn(`pynet: XNNPACK now on ${note}`);
      matmul.threads = 1;
      helper = null;
    }
    out.set(kernel.multiply(a, b, m, k, n));
  };
  matmul.threads = helper ? 2 : 1;
  matmul.shared = 0;  // products the helper took part in
  Object.defineProperty(matmul, 'note', { get: () => note });
  return matmul;
}

/**
 * XNNPACK's product on this thread: `multiply(a, b, m, k, n)` copies the Float32Arrays a (m*k) and b (k*n)
 * into the backend's memory and returns a view of the (m, n) product there, valid until the next call.
 */
export async function startKernel() {
  const backend = await startBackend();
  const wasm = backend.wasm;
  const batchMatMul = wasm.cwrap('BatchMatMul', null, KERNEL_ARGS);
  const aShape = new Int32Array([1, 0, 0]), bShape = new Int32Array([1, 0, 0]);  // a batch of one matrix
  const aShapeBytes = new Uint8Array(aShape.buffer), bShapeBytes = new Uint8Array(bShape.buffer);
  let region = 0, capacity = 0;  // floats: a, then b, then out, in the backend's memory; it only grows

  return {
    multiply(a, b, m, k, n) {
      const sizes = [m * k, k * n, m * n];
      const total = sizes[0] + sizes[1] + sizes[2];
      if (total > capacity) {
        if (region) wasm._free(region);
        region = wasm._malloc(total * 4) >>> 0;
        capacity = region ? total : 0;
        if (!region) throw new Error('out of memory for a matrix product');
      }
      const offsets = [region, region + sizes[0] * 4, region + (sizes[0] + sizes[1]) * 4];
      const heap = wasm.HEAPF32;  // read after _malloc, which may have grown (and replaced) it
      heap.set(a, offsets[0] >>> 2);
      heap.set(b, offsets[1] >>> 2);
      const ids = sizes.map((size, i) => {
        const id = backend.dataIdNextNumber++;
        wasm.tfjs.registerTensor(id, size, offsets[i]);
        return id;
      });
      try {
        aShape[1] = m; aShape[2] = k;
        bShape[1] = k; bShape[2] = n;
        batchMatMul(ids[0], aShapeBytes, 3, ids[1], bShapeBytes, 3, 0, 0, ids[2]);
      } finally {
        ids.forEach((id) => wasm.tfjs.disposeData(id));  // unregisters; the region itself is kept
      }
      return wasm.HEAPF32.subarray(offsets[2] >>> 2, (offsets[2] >>> 2) + sizes[2]);
    },
  };
}

/** Spin until `done(state)` holds for the control word, for at most SPIN_MS; whether it does. */
export function spin(control, done) {
  const until = performance.now() + SPIN_MS;
  for (;;) {
    if (done(Atomics.load(control, 0))) return true;
    if (performance.now() > until) return false;
  }
}

/** Wait for the helper to leave WORK, HELPER_TIMEOUT_MS at most. A wake-up proves nothing: the helper's
 * notify for the previous product may land while it works on this one. */
function waitWhileWorking(control) {
  if (spin(control, (state) => state !== WORK)) return;
  const deadline = performance.now() + HELPER_TIMEOUT_MS;
  let left;
  while (Atomics.load(control, 0) === WORK && (left = deadline - performance.now()) > 0) {
    Atomics.wait(control, 0, WORK, left);
  }
}

/** tfjs-core and the WebAssembly backend, started; resolves to the backend (its `wasm` module). */
async function startBackend() {
  // The ES builds of these packages import Node modules (fs, path), and a module worker has no
  // importScripts: importing their UMD builds as modules runs them, and they install `globalThis.tf`.
  await import(new URL('tf-core.es2017.min.js', VENDOR_URL).href);
  await import(new URL('tf-backend-wasm.es2017.min.js', VENDOR_URL).href);
  const tf = globalThis.tf;
  if (!tf || !tf.wasm) throw new Error('the TensorFlow.js files in vendor/tfjs/ did not load');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);  // our helper is the second thread
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

/**
 * The helper worker, started and checked: `takes(m, k, n)` says whether a product is worth sharing,
 * `share(...)` computes the top rows here and the bottom ones there; it returns false (and computes
 * nothing more) when the helper failed or did not answer in time.
 */
async function startHelper(kernel) {
  if (!self.crossOriginIsolated || typeof SharedArrayBuffer !== 'function') {
    throw new Error('the page is not cross-origin isolated (no shared memory)');
  }
  if ((navigator.hardwareConcurrency || 1) < 2) throw new Error('this machine has one core');
  const control = new Int32Array(new SharedArrayBuffer(6 * 4));
  const staging = new Float32Array(new SharedArrayBuffer(STAGING_FLOATS * 4));
  const worker = new Worker(new URL('./matmul-helper.js', import.meta.url), { type: 'module' });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the helper did not start')), 30_000);
      worker.onmessage = ({ data }) => {
        clearTimeout(timer);
        if (data && data.ready) resolve(); else reject(new Error(`the helper failed: ${data && data.error}`));
      };
      worker.onerror = (event) => { clearTimeout(timer); reject(new Error(`the helper failed: ${event.message}`)); };
      worker.postMessage({ control, staging });
    });
  } catch (err) {
    worker.terminate();
    throw err;
  }
  worker.onmessage = worker.onerror = null;

  const helper = {
    takes(m, k, n) {
      const rows = m - (m >> 1);
      return m >= SHARE_MIN_ROWS && n <= SHARE_MAX_COLUMNS && m * k * n >= SHARE_MIN_MULTIPLY_ADDS
        && rows * k + k * n + rows * n <= STAGING_FLOATS;
    },
    share(a, b, out, m, k, n) {
      const top = m >> 1, rows = m - top;  // this thread takes the first `top` rows, the helper the rest
      const bAt = rows * k, outAt = bAt + k * n;
      staging.set(a.subarray(top * k), 0);
      staging.set(b, bAt);
      control.set([rows, k, n, bAt, outAt], 1);
      Atomics.store(control, 0, WORK);  // publishes the writes above to the helper
      Atomics.notify(control, 0);
      out.set(kernel.multiply(a.subarray(0, top * k), b, top, k, n));
      waitWhileWorking(control);
      if (Atomics.load(control, 0) !== DONE) {
        worker.terminate();
        return false;
      }
      out.set(staging.subarray(outAt, outAt + rows * n), top * n);
      Atomics.store(control, 0, IDLE);
      return true;
    },
  };
  // A wrong helper would corrupt results silently: compare a shared product with this thread's own.
  const m = SHARE_MIN_ROWS, k = 300, n = 10;  // a product the helper takes
  const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const expected = kernel.multiply(a, b, m, k, n).slice();
  const shared = new Float32Array(m * n);
  if (!helper.share(a, b, shared, m, k, n)) throw new Error('the helper did not answer');
  if (shared.some((x, i) => Math.abs(x - expected[i]) > 1e-4 * (1 + Math.abs(expected[i])))) {
    worker.terminate();
    throw new Error('the helper gave a wrong product');
  }
  return helper;
}
