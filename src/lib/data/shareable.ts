/**
 * Large data the page posts to its workers (the digits: 12 000 + 2 000 images, 44 MB of floats). Posting an
 * ArrayBuffer copies it on the page's thread: Train on the digits held the page for 250–320 ms before its worker
 * saw the request. Where the page is cross-origin isolated (COOP/COEP, which the app serves, or coi-serviceworker),
 * the array is made in a SharedArrayBuffer instead, which a worker receives without a copy. Nothing writes into
 * such arrays after they are filled (the data is read-only from then on), so sharing them is safe.
 */
export function shareableFloat32(length: number): Float32Array {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return isolated && typeof SharedArrayBuffer === 'function' ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
}
