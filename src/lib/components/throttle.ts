/**
 * Coalesced redraws: `schedule()` as often as data arrives; `draw` runs at most once per animation frame and about
 * `minIntervalMs` apart (four times a second by default). Under a software GPU, redrawing on every event starved
 * the page while the worker trained (see the README).
 */
export function throttledDraw(draw: () => void, minIntervalMs = 250): { schedule(): void; cancel(): void } {
  let lastDraw = 0;
  let pending: ReturnType<typeof setTimeout> | null = null;
  return {
    schedule() {
      if (pending) return;
      pending = setTimeout(() => {
        requestAnimationFrame(() => {
          pending = null;
          lastDraw = performance.now();
          draw();
        });
      }, Math.max(0, lastDraw + minIntervalMs - performance.now()));
    },
    cancel() {
      if (pending) clearTimeout(pending);
      pending = null;
    }
  };
}
