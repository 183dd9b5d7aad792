/// <reference lib="webworker" />
/**
 * The /onnx page's decode worker: reads .onnx bytes and summarises them (`inspectFile`) off the page's thread, so
 * a large or hostile file never freezes the page. The bytes come transferred and go back transferred (no copy);
 * the page keeps them to run the model in ONNX Runtime.
 */
import * as Comlink from 'comlink';
import { inspectFile, type InspectOutcome } from './inspect';

const api = {
  inspect(bytes: Uint8Array): { outcome: InspectOutcome; bytes: Uint8Array } {
    const outcome = inspectFile(bytes);
    return Comlink.transfer({ outcome, bytes }, [bytes.buffer as ArrayBuffer]);
  }
};

export type InspectWorkerApi = typeof api;

Comlink.expose(api);
