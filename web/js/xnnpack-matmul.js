/*
 * A fast float32 matrix product for pynet inside the worker: XNNPACK's WebAssembly SIMD kernel, as
 * shipped in TensorFlow.js's WebAssembly backend (npm, vendored by build.py into vendor/tfjs/), on every
 * core of the machine where the page may share memory between threads.
 *
 * Why: Pyodide's NumPy and its OpenBLAS multiply matrices without WebAssembly SIMD; XNNPACK uses it and is
 * several times faster than either (bench/README.md has the figures). pynet.blas.use_matmul() takes the
 * function returned here; pynet stays pure Python and gives the same results, up to the order of
 * floating-point sums.
 *
 * The same module's logistic sigmoid, XNNPACK's SIMD one, comes along as `matmul.sigmoid`: pynet computes
 * a large tanh as 2 * sigmoid(2x) - 1 with it (pynet/elementwise.py), since NumPy's tanh is scalar
 * WebAssembly here, many times slower.
 *
 * Only tfjs-core and its WebAssembly backend are loaded, and only to start the backend's module: each
 * product goes straight to the module's BatchMatMul kernel, not through tf.matMul. TF.js's tensor
 * machinery (engine, kernel registry, tensor objects, a copied result) cost more per call than the
 * kernel itself on pynet's small products, and so did a buffer proxy for each NumPy array: Python passes
 * addresses in Pyodide's memory instead. The kernel packs its right operand before multiplying (a sizeable
 * share of a small product's time): a constant right operand (a training batch,
 * pynet.blas.Constant) is kept, packed, between products.
 *
 * Threads. The backend comes in two builds of the same XNNPACK: one thread (tfjs-backend-wasm-simd.wasm),
 * or a pool of Web Workers sharing the module's memory (tfjs-backend-wasm-threaded-simd.wasm), which
 * splits each product's rows and columns among the threads (each output is still one thread's sum over
 * the same k, in the same order). The threaded build needs SharedArrayBuffer, so a cross-origin isolated
 * page (COOP/COEP headers); elsewhere, or if its threads do not start, the one-thread build takes over and
 * says why. See `liftPoolCap` for how its pool gets one thread per core.
 */

const VENDOR_URL = new URL('../vendor/tfjs/', import.meta.url);

// The backend module's kernel: BatchMatMul(a_id, a_shape, a_rank, b_id, b_shape, b_rank, transpose_a,
// transpose_b, out_id), on tensors registered by id. It runs XNNPACK's fully-connected operator, which it
// caches on b's id with b packed inside: a fresh id for b on every call keeps a stale b from being reused.
const KERNEL_ARGS = ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number'];
// Sigmoid(x_id, out_id): XNNPACK's sigmoid operator over every element, on the backend's threads.
const SIGMOID_ARGS = ['number', 'number'];

// The threaded build pre-creates this many workers (its PTHREAD_POOL_SIZE) and caps its pool there: a
// larger pool would wait on a worker that can only start once this thread returns to its event loop.
const MAX_THREADS = 8;
// The threaded build's start (its workers included) normally takes a second or two; one that has not
// started by then never will (a worker that could not load leaves its module waiting for it).
const THREADED_START_MS = 30_000;

/**
 * Load tfjs-core and the WebAssembly backend; resolve to `matmul(aAddress, bAddress, outAddress, m, k, n,
 * bKey)`, which writes the (m, n) product of the row-major float32 matrices a (m, k) and b (k, n) to
 * `outAddress`; addresses are byte offsets in the memory of `pyodide` (NumPy arrays' data pointers). A
 * non-zero `bKey` says b is constant (pynet.blas.Constant): it is kept, packed, until `matmul.forget(bKey)`;
 * `matmul.kept()` counts the matrices kept. `threads`: how many threads to ask for (default: one per
 * core); `matmul.threads` says how many run, and `matmul.oneThreadWhy` why only one when so.
 */
export async function loadMatmul(pyodide, { threads } = {}) {
  const python = pyodide && pyodide._module;  // Pyodide's Emscripten module, whose HEAPF32 is Python's memory
  if (!python || !python.HEAPF32) throw new Error('this Pyodide does not expose its memory');
  const { kernel, threads: running, oneThreadWhy } = await startKernel(threads);
  const matmul = (aAddress, bAddress, outAddress, m, k, n, bKey = 0) => {
    const heap = python.HEAPF32;
    const a = heap.subarray(aAddress >>> 2, (aAddress >>> 2) + m * k);
    const b = heap.subarray(bAddress >>> 2, (bAddress >>> 2) + k * n);
    heap.set(kernel.multiply(a, b, m, k, n, bKey), outAddress >>> 2);  // no Python runs: heap stays valid
  };
  // sigmoid(xAddress, outAddress, size): 1 / (1 + exp(-x)) of `size` floats; out may be x itself.
  matmul.sigmoid = (xAddress, outAddress, size) => {
    const heap = python.HEAPF32;
    heap.set(kernel.sigmoid(heap.subarray(xAddress >>> 2, (xAddress >>> 2) + size)), outAddress >>> 2);
  };
  matmul.forget = (key) => kernel.forget(key);
  matmul.kept = () => kernel.kept();
  matmul.threads = running;
  matmul.oneThreadWhy = oneThreadWhy;
  return matmul;
}

/**
 * XNNPACK's product: `multiply(a, b, m, k, n, key)` copies the Float32Arrays a (m*k) and b (k*n)
 * into the backend's memory and returns a view of the (m, n) product there, valid until the next call.
 * With a non-zero `key`, b is copied on the first call only and stays registered under one tensor id, so
 * the backend also keeps the operator that holds it packed; `forget(key)` drops both. `sigmoid(x)` the
 * same way: a view of the sigmoid of the Float32Array x, valid until the next call.
 */
async function startKernel(threads) {
  const { backend, ...started } = await startBackend(threads);
  const wasm = backend.wasm;
  const batchMatMul = wasm.cwrap('BatchMatMul', null, KERNEL_ARGS);
  const sigmoid = wasm.cwrap('Sigmoid', null, SIGMOID_ARGS);
  const aShape = new Int32Array([1, 0, 0]), bShape = new Int32Array([1, 0, 0]);  // a batch of one matrix
  const aShapeBytes = new Uint8Array(aShape.buffer), bShapeBytes = new Uint8Array(bShape.buffer);
  let region = 0, capacity = 0;  // scratch floats in the backend's memory (a, b, out; or x, out); it only grows
  const kept = new Map();  // key -> {id, offset}: constant right operands

  // The module's memory as floats. Read it anew after a _malloc, which may grow the memory: a shared
  // memory that grew keeps its old buffer at the old length, so a view on it would stop short.
  const memory = backendMemory(wasm);
  let view = new Float32Array(memory.buffer);
  const floats = () => {
    if (view.buffer !== memory.buffer) view = new Float32Array(memory.buffer);
    return view;
  };
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
      floats().set(b, offset >>> 2);
      entry = { id: register(size, offset), offset };
      kept.set(key, entry);
    }
    return entry.id;
  };

  // The scratch region of at least `total` floats (its byte offset), grown as needed.
  const scratch = (total) => {
    if (total > capacity) {
      if (region) wasm._free(region);
      region = wasm._malloc(total * 4) >>> 0;
      capacity = region ? total : 0;
      if (!region) throw new Error('out of memory for XNNPACK\'s operands');
    }
    return region;
  };

  const kernel = {
    multiply(a, b, m, k, n, key = 0) {
      const sizes = [m * k, k * n, m * n];
      const bId = key ? keep(key, b, sizes[1]) : 0;  // before _malloc below, which may grow the memory
      const base = scratch(sizes[0] + sizes[1] + sizes[2]);
      const offsets = [base, base + sizes[0] * 4, base + (sizes[0] + sizes[1]) * 4];
      const heap = floats();
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
      return heap.subarray(offsets[2] >>> 2, (offsets[2] >>> 2) + sizes[2]);
    },
    sigmoid(x) {
      const size = x.length;
      const base = scratch(2 * size);
      const heap = floats();
      heap.set(x, base >>> 2);
      const ids = [register(size, base), register(size, base + size * 4)];
      try {
        sigmoid(ids[0], ids[1]);
      } finally {
        ids.forEach((id) => wasm.tfjs.disposeData(id));
      }
      return heap.subarray((base >>> 2) + size, (base >>> 2) + 2 * size);
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
  return { kernel, ...started };
}

/**
 * tfjs-core and the WebAssembly backend, started on `wanted` threads (default: one per core) where the
 * page allows it, else on one; resolves to {backend, threads, oneThreadWhy}.
 */
async function startBackend(wanted) {
  // The ES builds of these packages import Node modules (fs, path), and a module worker has no
  // importScripts: importing their UMD builds as modules runs them, and they install `globalThis.tf`.
  await import(new URL('tf-core.es2017.min.js', VENDOR_URL).href);
  await import(new URL('tf-backend-wasm.es2017.min.js', VENDOR_URL).href);
  const tf = globalThis.tf;
  if (!tf || !tf.wasm) throw new Error('the TensorFlow.js files in vendor/tfjs/ did not load');
  tf.wasm.setWasmPaths(VENDOR_URL.href);
  // Without SIMD the kernel is no faster than OpenBLAS, which the worker then uses instead.
  if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('this browser has no WebAssembly SIMD');
  let oneThreadWhy = whyOneThread(wanted);
  if (!oneThreadWhy) {
    try {
      const backend = await startThreaded(tf, threadCount(wanted));
      const threads = tf.wasm.getThreadsCount();
      return { backend, threads, oneThreadWhy: threads > 1 ? '' : 'its pool kept to one thread' };
    } catch (err) {
      oneThreadWhy = `its threads did not start (${err && err.message ? err.message : err})`;
    }
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);  // the one-thread build, then
  return { backend: await start(tf), threads: 1, oneThreadWhy };
}

/** Why the threaded build cannot run here, or '' when it may. */
function whyOneThread(wanted) {
  if (wanted === 1) return 'one thread was asked for';
  if (!self.crossOriginIsolated || typeof SharedArrayBuffer !== 'function') {
    return 'the page is not cross-origin isolated, so its threads cannot share memory (the server sends no COOP/COEP headers)';
  }
  if (threadCount(wanted) < 2) return 'the browser reports one core';
  return '';
}

const threadCount = (wanted) => Math.min(wanted || navigator.hardwareConcurrency || 1, MAX_THREADS);

/** The threaded build with a pool of `count` threads; rejects if it cannot start. */
async function startThreaded(tf, count) {
  // This flag's own test (a SharedArrayBuffer posted, a threaded wasm validated) decides which build loads.
  if (!(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'))) {
    throw new Error('this browser cannot share WebAssembly memory between threads');
  }
  tf.wasm.setThreadsCount(count);
  const restore = liftPoolCap(count);
  const guard = guardStart(THREADED_START_MS);
  let backend = null;
  try {
    backend = await Promise.race([start(tf), guard.promise]);
    return backend;
  } finally {
    restore();
    guard.stop(backend !== null);
  }
}

/**
 * The threaded backend caps its pool at half the cores it is told of: its C++ (backend.cc) computes
 * `num_cores = emscripten_num_logical_cores() / 2` once, while its module starts, assuming two logical
 * cores per physical one, and `init_with_threads_count(n)` (what setThreadsCount feeds) creates
 * min(n, 8, num_cores) threads. So on a 2-core machine the pool has one thread, whatever setThreadsCount
 * asks for. emscripten_num_logical_cores is a JavaScript import of the module (it reads
 * navigator.hardwareConcurrency): while the module is instantiated, this hands it a function that
 * reports 2 * `count` cores, so the cap becomes `count` and setThreadsCount(count) is honoured.
 *
 * Safe because: only the module's import object changes, and only this module's (the one that has that
 * import); the cap is its only reader in the backend; the pool asked for never exceeds the 8 workers the
 * build pre-creates (MAX_THREADS), so every thread of it has a worker ready; each product is still
 * computed by XNNPACK's own partition, each output by one thread. navigator.hardwareConcurrency itself
 * is never altered. Returns a function that puts WebAssembly's own functions back.
 */
function liftPoolCap(count) {
  const { instantiate, instantiateStreaming } = WebAssembly;
  const lifted = (imports) => {
    if (imports && imports.env && typeof imports.env.emscripten_num_logical_cores === 'function') {
      imports.env.emscripten_num_logical_cores = () => 2 * count;
    }
    return imports;
  };
  WebAssembly.instantiate = (source, imports) => instantiate.call(WebAssembly, source, lifted(imports));
  if (instantiateStreaming) {
    WebAssembly.instantiateStreaming = (source, imports) =>
      instantiateStreaming.call(WebAssembly, source, lifted(imports));
  }
  return () => Object.assign(WebAssembly, { instantiate, instantiateStreaming });
}

/**
 * What makes a threaded start fail without saying so, turned into a rejection of `promise`:
 * - a pool worker that cannot load its script (a Content-Security-Policy without blob: scripts, say).
 *   Emscripten's handler of that worker's error rethrows it here, and the error also propagates to this
 *   worker's global scope: either way it would reach the page as a crash of the whole Python worker.
 *   Each worker the backend creates meanwhile gets a first listener that stops both, as long as the
 *   start is not known to have succeeded (`stop(true)`): after that, a pool worker's error is a crash
 *   like any other, since a product would wait forever on the dead thread;
 * - a pool worker the policy forbids (no blob: workers): no error at all, only a violation report;
 * - anything else: still not started after `ms`.
 * Worker is the browser's own again after `stop(started)`.
 */
function guardStart(ms) {
  let reject, started = false, failed = false;
  const promise = new Promise((_, fail) => { reject = fail; });
  const timer = setTimeout(() => reject(new Error(`not started after ${ms / 1000} s`)), ms);
  const BrowserWorker = self.Worker;
  self.Worker = class PoolWorker extends BrowserWorker {
    constructor(...args) {
      super(...args);
      this.addEventListener('error', (event) => {
        if (started) return;
        event.preventDefault();
        event.stopImmediatePropagation();
        if (!failed && event.message) console.warn(`pynet: a worker of XNNPACK's pool failed: ${event.message}`);
        failed = true;
        reject(new Error('a worker of its pool could not load its script'));
      });
    }
  };
  const onViolation = (event) => {
    if (!String(event.blockedURI).startsWith('blob')) return;
    reject(new Error(`this page's Content-Security-Policy (${event.effectiveDirective}) forbids its blob: workers`));
  };
  self.addEventListener('securitypolicyviolation', onViolation);
  return {
    promise,
    stop(ok) {
      started = ok;
      clearTimeout(timer);
      self.Worker = BrowserWorker;
      self.removeEventListener('securitypolicyviolation', onViolation);
    },
  };
}

/** tf.setBackend('wasm'), checked; resolves to the backend. */
async function start(tf) {
  if (!(await tf.setBackend('wasm'))) throw new Error('the WebAssembly backend did not start');
  const backend = tf.backend();
  const wasm = backend && backend.wasm;
  if (!wasm || !wasm.cwrap || !wasm.tfjs || !backendMemory(wasm) || typeof backend.dataIdNextNumber !== 'number') {
    throw new Error('this TensorFlow.js WebAssembly backend has an unexpected shape');
  }
  return backend;
}

/** The backend module's WebAssembly.Memory: imported, shared, by the threaded build; exported by the other. */
const backendMemory = (wasm) => wasm.wasmMemory || (wasm.asm && wasm.asm.memory);
