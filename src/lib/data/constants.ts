/**
 * The constants a program may use besides `x_train, y_train, x_test, y_test` (contract 3 of issue 12): text and
 * sequence data predefine `vocab_size` and `seq_len`, so `layers.Embedding(vocab_size, 32)` and
 * `keras.Input(shape=(seq_len,))` parse. Pass the result to `parseProgram(source, { constants })`.
 */
import { SEQUENCES, isSequenceName, resolveSequenceParams } from './sequences';
import { TEXTS, UPLOADED_TEXT, isTextName, resolveTextParams } from './text';

export interface ConstantSettings {
  /** The Data panel's sequence length (the data set's default when absent). */
  seqLen?: number;
  /** The uploaded text's vocabulary size (only for the `text` data set; its tokens' length). */
  vocabSize?: number;
}

/**
 * `{ vocab_size, seq_len }` for text and sequence data (sine_series: only `seq_len`, its x holds real values);
 * `{}` for every other data set. Synchronous: the shipped texts' vocabulary sizes are fixed constants (TEXTS).
 */
export function dataConstants(name: string, settings: ConstantSettings = {}): Record<string, number> {
  if (isTextName(name)) {
    const p = resolveTextParams({ name, seqLen: settings.seqLen });
    return { vocab_size: TEXTS[name].vocabSize, seq_len: p.seqLen };
  }
  if (name === UPLOADED_TEXT) {
    const p = resolveTextParams({ name, seqLen: settings.seqLen });
    return settings.vocabSize ? { vocab_size: settings.vocabSize, seq_len: p.seqLen } : { seq_len: p.seqLen };
  }
  if (isSequenceName(name)) {
    const p = resolveSequenceParams({ name, seqLen: settings.seqLen });
    const v = SEQUENCES[name].vocabSize;
    return v ? { vocab_size: v, seq_len: p.seqLen } : { seq_len: p.seqLen };
  }
  return {};
}
