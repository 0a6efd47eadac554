// Compile a Python archive to bytecode with Pyodide's own Python under Node.js: the build's fallback when
// no CPython 3.12 can run pyodide-build (see pyc.py). The archive's directory and the output's are
// mounted into Pyodide's file system; pyc_archive.py does the work.
//
//   node pyc_node.mjs PYODIDE_DIR PYC_ARCHIVE_PY INPUT OUTPUT
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [pyodideDir, script, input, output] = process.argv.slice(2).map((p) => path.resolve(p));
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, 'pyodide.mjs')).href);
const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep, stdout: () => {}, stderr: console.error });
pyodide.mountNodeFS('/input', path.dirname(input));
pyodide.mountNodeFS('/output', path.dirname(output));
pyodide.runPython(readFileSync(script, 'utf8'));
pyodide.globals.get('compile_archive')(`/input/${path.basename(input)}`, `/output/${path.basename(output)}`);
