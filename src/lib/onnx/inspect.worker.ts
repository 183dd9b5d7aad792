/// <reference lib="webworker" />
/**
 * The /onnx page's decode worker: reads .onnx bytes and summarises them (`inspectFile`) off the page's thread, so
 * a large or hostile file never freezes the page. A File is read here (its ArrayBuffer made off the page's
 * thread); bytes come transferred and go back transferred (no copy);
 * the page keeps them to run the model in ONNX Runtime.
 *
 * A summary of tens of thousands of nodes takes the page hundreds of ms just to receive (structured clone), so the
 * first answer holds the first FIRST_NODES nodes and the total; the page asks for the rest in slices (`nodes`).
 */
import * as Comlink from 'comlink';
import { inspectFile, type InspectOutcome, type NodeRow } from './inspect';

export const FIRST_NODES = 1000;

let last: NodeRow[] = [];

const api = {
  async inspect(from: Uint8Array | Blob): Promise<{ outcome: InspectOutcome; totalNodes: number; bytes: Uint8Array }> {
    const bytes = from instanceof Uint8Array ? from : new Uint8Array(await from.arrayBuffer());
    const outcome = inspectFile(bytes);
    last = outcome.ok ? outcome.info.nodes : [];
    const sent: InspectOutcome = outcome.ok ? { ok: true, info: { ...outcome.info, nodes: last.slice(0, FIRST_NODES) } } : outcome;
    return Comlink.transfer({ outcome: sent, totalNodes: last.length, bytes }, [bytes.buffer as ArrayBuffer]);
  },
  /** More nodes of the file read last. */
  nodes(from: number, to: number): NodeRow[] {
    return last.slice(from, to);
  }
};

export type InspectWorkerApi = typeof api;

Comlink.expose(api);
