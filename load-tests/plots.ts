import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import { Chart, type ChartConfiguration, type Plugin, registerables } from 'chart.js';
import type { ScenarioFigures } from './drivers.js';
import { processLabels, type Sample, tapRate } from './sampler.js';

// The report's PNG plots, drawn by Chart.js on a skia canvas (@napi-rs/canvas: prebuilt,
// no browser, no system cairo): throughput over time, latency percentiles per scenario,
// RSS and CPU of each process over time. Each time plot shades the scenarios' measured
// parts and names them, so a dip can be read against what was running.

Chart.register(...registerables);
const width = 1200;
const height = 520;
const colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export interface Plot {
  readonly file: string;
  readonly title: string;
}

export function writePlots(dir: string, samples: readonly Sample[], scenarios: readonly ScenarioFigures[]): Plot[] {
  const plots: Plot[] = [];
  const draw = (file: string, title: string, config: ChartConfiguration) => {
    render(path.join(dir, file), config, title);
    plots.push({ file, title });
  };
  const phases = phasePlugin(scenarios);
  const rates = rateSeries(samples);
  draw('throughput.png', 'Taps acknowledged and sealed per second', {
    type: 'line',
    data: { datasets: [line('acknowledged (ingest)', rates.acked, 0), line('sealed (batcher)', rates.sealed, 1)] },
    options: timeOptions('taps per second'),
    plugins: [phases],
  });
  const labels = [...scenarios.map((s) => s.name), ...scenarios.filter((s) => s.invoiceLatencyMs !== undefined).map((s) => `${s.name}: tap-out → invoice`)];
  const latencies = [...scenarios.map((s) => s.latencyMs), ...scenarios.flatMap((s) => (s.invoiceLatencyMs === undefined ? [] : [s.invoiceLatencyMs]))];
  draw('latency.png', 'Latency percentiles (ms, log scale): requests per scenario, and tap-out to invoice', {
    type: 'bar',
    data: {
      labels,
      datasets: (['p50', 'p90', 'p99', 'max'] as const).map((key, i) => ({
        label: key, backgroundColor: colours[i], data: latencies.map((l) => Math.max(0.1, l[key] ?? l.p95 ?? 0)),
      })),
    },
    options: {
      responsive: false, animation: false,
      scales: { y: { type: 'logarithmic', min: 0.1, title: { display: true, text: 'ms (below 0.1 shown as 0.1)' }, ticks: { callback: (value) => logTick(Number(value)) } } },
    },
  });
  const labelsOf = processLabels(samples);
  draw('rss.png', 'Resident memory of each process (MB)', {
    type: 'line',
    data: { datasets: labelsOf.map((label, i) => line(label, samples.flatMap((s) => (s.processes[label] ? [{ x: s.tS, y: s.processes[label].rssMb }] : [])), i)) },
    options: timeOptions('MB'),
    plugins: [phases],
  });
  draw('cpu.png', 'CPU of each process (% of one core; the machine has 2)', {
    type: 'line',
    data: { datasets: labelsOf.map((label, i) => line(label, samples.flatMap((s) => (s.processes[label] ? [{ x: s.tS, y: s.processes[label].cpuPercent }] : [])), i)) },
    options: timeOptions('% of a core'),
    plugins: [phases],
  });
  return plots;
}

/** Taps acknowledged and sealed per second between consecutive samples. */
export function rateSeries(samples: readonly Sample[]): { acked: { x: number; y: number }[]; sealed: { x: number; y: number }[] } {
  const acked = [];
  const sealed = [];
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1]!, samples[i]!];
    acked.push({ x: b.tS, y: tapRate(a, b, 'tapsAcceptedTotal') });
    sealed.push({ x: b.tS, y: tapRate(a, b, 'tapsSealedTotal') });
  }
  return { acked, sealed };
}

/** Only the powers of ten and their halves are labelled: Chart.js labels every minor tick of a log axis otherwise. */
function logTick(value: number): string {
  const mantissa = value / 10 ** Math.floor(Math.log10(value));
  if (Math.abs(mantissa - 1) > 1e-9 && Math.abs(mantissa - 5) > 1e-9) return '';
  return value >= 1 ? value.toLocaleString('en-US') : String(Number(value.toPrecision(1)));
}

function line(label: string, data: { x: number; y: number }[], i: number) {
  return { label, data, borderColor: colours[i % colours.length], backgroundColor: colours[i % colours.length], borderWidth: 1.5, pointRadius: 0, tension: 0 };
}

function timeOptions(yTitle: string): ChartConfiguration['options'] {
  return {
    responsive: false, animation: false, layout: { padding: { top: 24 } },
    scales: { x: { type: 'linear', title: { display: true, text: 'seconds since the system started' } }, y: { beginAtZero: true, title: { display: true, text: yTitle } } },
  };
}

/** Shades each scenario's measured part and writes its name at the top. */
function phasePlugin(scenarios: readonly ScenarioFigures[]): Plugin {
  return {
    id: 'phases',
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea, scales } = chart;
      const x = scales.x!;
      ctx.save();
      scenarios.forEach((scenario, i) => {
        const left = x.getPixelForValue(scenario.fromS);
        const right = x.getPixelForValue(scenario.toS);
        ctx.fillStyle = i % 2 === 0 ? 'rgba(120,120,120,0.10)' : 'rgba(120,120,120,0.18)';
        ctx.fillRect(left, chartArea.top, right - left, chartArea.bottom - chartArea.top);
        ctx.fillStyle = '#444';
        ctx.font = '11px sans-serif';
        ctx.fillText(scenario.name, left + 3, chartArea.top - 6 - (i % 2) * 12);
      });
      ctx.restore();
    },
  };
}

const whiteBackground: Plugin = {
  id: 'white-background',
  beforeDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

function render(file: string, config: ChartConfiguration, title: string): void {
  const canvas = createCanvas(width, height);
  // The legend below the plot: above it, the scenarios' names are written.
  const options = { ...config.options, plugins: { ...config.options?.plugins, title: { display: true, text: title, font: { size: 15 } }, legend: { position: 'bottom' as const } } };
  const chart = new Chart(canvas.getContext('2d') as never, { ...config, options, plugins: [...(config.plugins ?? []), whiteBackground] } as ChartConfiguration);
  writeFileSync(file, canvas.toBuffer('image/png'));
  chart.destroy();
}
