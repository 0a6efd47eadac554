// The code editor's libraries, bundled by the build (web/sitebuild/editor.py, esbuild) into one ES module,
// vendor/codemirror/codemirror.js, with no bare imports left: the page loads it from its own origin. This
// file itself is not part of the site.
export { EditorView, basicSetup } from 'codemirror';
export { EditorState } from '@codemirror/state';
export { python } from '@codemirror/lang-python';
export { setDiagnostics, lintGutter } from '@codemirror/lint';
