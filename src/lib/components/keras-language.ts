/**
 * Registers the Keras completions, hover and signature help of `$lib/keras/language` as Monaco providers for
 * 'python'. The providers only convert between Monaco positions and text offsets; all the knowledge is in the pure
 * functions (and from there in the layer, optimizer, loss and metric registries and the builtin call tables).
 */
import type * as Monaco from 'monaco-editor/editor/editor.api';
import { completions, hover, signatureHelp, type CompletionKind } from '$lib/keras/language';

type MonacoApi = typeof Monaco;

const registered = new WeakSet<object>();

/** Registers the providers once per Monaco instance (later calls do nothing). */
export function registerKerasLanguage(monaco: MonacoApi): void {
  if (registered.has(monaco)) return;
  registered.add(monaco);
  const { languages } = monaco;
  const K = languages.CompletionItemKind;
  const KIND: Record<CompletionKind, Monaco.languages.CompletionItemKind> = {
    layer: K.Class,
    argument: K.Property,
    value: K.EnumMember,
    function: K.Function,
    module: K.Module,
    keyword: K.Keyword
  };

  const range = (model: Monaco.editor.ITextModel, from: number, to: number): Monaco.IRange => {
    const a = model.getPositionAt(from);
    const b = model.getPositionAt(to);
    return { startLineNumber: a.lineNumber, startColumn: a.column, endLineNumber: b.lineNumber, endColumn: b.column };
  };

  languages.registerCompletionItemProvider('python', {
    triggerCharacters: ['.', '(', ',', '"', "'", ' ', '='],
    provideCompletionItems(model, position) {
      const offset = model.getOffsetAt(position);
      const items = completions(model.getValue(), offset);
      return {
        suggestions: items.map((item) => ({
          label: item.label,
          kind: KIND[item.kind],
          insertText: item.insertText,
          insertTextRules: item.snippet ? languages.CompletionItemInsertTextRule.InsertAsSnippet : undefined,
          detail: item.detail,
          documentation: { value: item.documentation },
          sortText: item.sortText,
          filterText: item.filterText,
          range: { insert: range(model, item.from, offset), replace: range(model, item.from, Math.max(item.to, offset)) },
          command: item.retrigger ? { id: 'editor.action.triggerSuggest', title: 'Suggest' } : undefined
        }))
      };
    }
  });

  languages.registerHoverProvider('python', {
    provideHover(model, position) {
      const h = hover(model.getValue(), model.getOffsetAt(position));
      return h ? { contents: [{ value: h.contents }], range: range(model, h.from, h.to) } : null;
    }
  });

  languages.registerSignatureHelpProvider('python', {
    signatureHelpTriggerCharacters: ['(', ','],
    signatureHelpRetriggerCharacters: [',', '='],
    provideSignatureHelp(model, position) {
      const s = signatureHelp(model.getValue(), model.getOffsetAt(position));
      if (!s) return null;
      return {
        value: {
          signatures: [
            {
              label: s.label,
              documentation: { value: s.documentation },
              parameters: s.parameters.map((p) => ({ label: p.offsets, documentation: { value: p.documentation } }))
            }
          ],
          activeSignature: 0,
          activeParameter: s.activeParameter
        },
        dispose() {}
      };
    }
  });
}
