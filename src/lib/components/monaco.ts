/**
 * Monaco, loaded on demand (dynamic import from CodeEditor) so the first paint never waits for it.
 * Only the core editor, the Python tokenizer, the base editor worker and the suggest / hover / parameter-hint
 * widgets are bundled; `keras-language.ts` feeds those widgets the Keras completions, hovers and signatures.
 */
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/languages/definitions/python/register';
// The bare editor API has no widgets: add the suggest list, hovers, parameter hints, snippets and their icons.
import 'monaco-editor/editor/contrib/suggest/browser/suggestController';
import 'monaco-editor/features/hover/register';
import 'monaco-editor/features/parameterHints/register';
import 'monaco-editor/features/snippet/register';
import 'monaco-editor/features/codicon/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import { registerKerasLanguage } from './keras-language';

(self as unknown as { MonacoEnvironment: monaco.Environment }).MonacoEnvironment = {
  getWorker: () => new EditorWorker()
};

registerKerasLanguage(monaco);

export { monaco };
