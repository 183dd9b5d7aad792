import type { Chart as ChartType } from 'chart.js';
import { throttledDraw } from './throttle';

/**
 * A line chart of curves over epochs (MetricsChart: one run's metrics; RunsChart: several runs overlaid), set up
 * once here. chart.js is loaded on demand, so the first paint does not wait for it. The canvas is CPU-backed: small
 * charts redrawn often are cheaper here than round trips to the GPU process (with a software GPU they starved the
 * page while the worker trained). Redraws are coalesced: at most one per animation frame and about four a second
 * while data streams in.
 *
 * Call from onMount and return its result: `draw(chart)` fills the datasets and runs on load and after each
 * `schedule()`; the cleanup cancels a pending redraw and destroys the chart.
 */
export function mountEpochChart(
  canvas: HTMLCanvasElement,
  { legend, logScale }: { legend: boolean; logScale: () => boolean },
  draw: (chart: ChartType) => void
): { schedule: () => void; cleanup: () => void } {
  let disposed = false;
  let chart: ChartType | null = null;
  const update = () => {
    if (!chart) return;
    draw(chart);
    (chart.options.scales!.y! as { type: string }).type = logScale() ? 'logarithmic' : 'linear';
    chart.update('none');
  };
  const redraw = throttledDraw(update);
  import('chart.js').then(({ Chart, LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip, Decimation }) => {
    if (disposed) return;
    Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip, Decimation);
    chart = new Chart(canvas.getContext('2d', { willReadFrequently: true })!, {
      type: 'line',
      data: { datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', intersect: false, axis: 'x' },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'epoch' }, ticks: { precision: 0 } },
          y: { type: logScale() ? 'logarithmic' : 'linear' }
        },
        plugins: {
          legend: legend ? { labels: { boxWidth: 12 } } : { display: false },
          // A run of tens of thousands of epochs: each curve is drawn from its min and max per pixel column (chart.js
          // decimation; on when a curve has over 4 points per pixel), so a redraw costs the chart's width, not the run's length.
          decimation: { enabled: true, algorithm: 'min-max' }
        },
        elements: { point: { radius: 0 }, line: { borderWidth: 2 } }
      }
    });
    update();
  });
  return {
    schedule: () => redraw.schedule(),
    cleanup: () => {
      disposed = true;
      redraw.cancel();
      chart?.destroy();
    }
  };
}
