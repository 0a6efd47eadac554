// Make the page's memory snapshot: the site's own Pyodide booted under Node.js with `_makeSnapshot`, nothing
// imported after Python's start, its memory written gzipped to OUTPUT (web/sitebuild/snapshot.py says why).
//
//   node snapshot_node.mjs PYODIDE_DIR OUTPUT
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const [pyodideDir, output] = process.argv.slice(2).map((p) => path.resolve(p));
// Emscripten names the program after Node's script (Python's sys.executable and $_ keep it); in the page
// it is ./this.program. Named so here, a snapshot carries no path of the machine that built it.
process.argv[1] = './this.program';
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, 'pyodide.mjs')).href);
const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep, _makeSnapshot: true, stdout: () => {}, stderr: console.error });
writeFileSync(output, gzipSync(pyodide.makeMemorySnapshot(), { level: 9 }));
