/// <reference lib="webworker" />
/**
 * The analysis worker: parses the program in the editor and infers its shapes off the page's thread. A program of
 * a thousand layers took the page 150–250 ms to analyse (parse, interpreter, shapes, cold code), and it runs after
 * every pause in typing. See analysis-client.ts.
 */
import * as Comlink from 'comlink';
import { analyseProgram } from './analysis';

const api = { analyse: analyseProgram };

export type AnalysisWorkerApi = typeof api;

Comlink.expose(api);
