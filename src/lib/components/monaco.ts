/**
 * Monaco, loaded on demand (dynamic import from CodeEditor) so the first paint never waits for it.
 * Only the core editor and the Python tokenizer are bundled, plus the base editor worker.
 */
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/languages/definitions/python/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';

(self as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
  getWorker: () => new EditorWorker()
};

export { monaco };
