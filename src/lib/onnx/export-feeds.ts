/**
 * Feeding an exported model: the app keeps every input as a Float32Array (token ids as floats), while the ONNX export
 * declares an input INT32 when its `keras.Input` has dtype="int32". `inputTensor` makes the ORT tensor the session's
 * input wants (int32 ids truncated from the floats as TF.js' and numpy's casts do, or the floats as they are).
 */
import type * as Ort from 'onnxruntime-web';

/** The element type the session declares for input `name` ('float32' when it does not say). */
export function sessionInputType(session: Pick<Ort.InferenceSession, 'inputMetadata'>, name: string): string {
  const meta = (session.inputMetadata as readonly Ort.InferenceSession.ValueMetadata[] | undefined)?.find((m) => m.name === name);
  return meta && meta.isTensor ? String(meta.type) : 'float32';
}

/** The ORT tensor for input `name` of `session` from float data: Int32Array for an INT32 input, else float32. */
export function inputTensor(ort: typeof Ort, session: Pick<Ort.InferenceSession, 'inputMetadata'>, name: string, data: Float32Array, dims: readonly number[]): Ort.Tensor {
  if (sessionInputType(session, name) === 'int32') return new ort.Tensor('int32', Int32Array.from(data, Math.trunc), dims);
  return new ort.Tensor('float32', data, dims);
}
