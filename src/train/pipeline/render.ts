/** A schedule's timeline as an ASCII step × rank grid, and as an SVG picture. */
import type { Schedule } from './schedule.js';
import type { SimulationResult, TimedAction } from './simulate.js';

const label = (t: TimedAction, v: number): string =>
  `${t.action.kind}${t.action.mb}${v > 1 ? String.fromCharCode(97 + t.action.chunk) : ''}`;

/** One row per rank, one column per time unit (the shortest action's length); '.' is idle. */
export function asciiGrid(s: Schedule, r: SimulationResult): string {
  const work = r.timeline.filter((t) => t.end > t.start);
  const unit = Math.min(...work.map((t) => t.end - t.start));
  const cols = Math.round(r.makespan / unit);
  const width = Math.max(3, ...work.map((t) => label(t, s.v).length)) + 1;
  const grid = s.ranks.map(() => new Array<string>(cols).fill('.'.padEnd(width)));
  for (const t of work) {
    const from = Math.round(t.start / unit);
    const to = Math.round(t.end / unit);
    for (let c = from; c < to && c < cols; c++) grid[t.rank]![c] = (c === from ? label(t, s.v) : '~').padEnd(width);
  }
  const head = `step  ${Array.from({ length: cols }, (_, c) => String(c).padEnd(width)).join('')}`.trimEnd();
  const rows = grid.map((row, rank) => `r${String(rank).padEnd(4)}${row.join('')}`.trimEnd());
  const stats =
    `${s.name}: p = ${s.p}, m = ${s.m}${s.v > 1 ? `, v = ${s.v}` : ''}; makespan ${round(r.makespan)}, bubble ${(r.bubble * 100).toFixed(1)}%, ` +
    `peak in flight per rank [${r.peakInFlight.join(', ')}]`;
  return `${head}\n${rows.join('\n')}\n${stats}\n`;
}

/** A timeline picture: forwards blue, backwards green, labelled with the microbatch. */
export function svgTimeline(s: Schedule, r: SimulationResult): string {
  const scale = 48;
  const row = 28;
  const left = 40;
  const width = Math.ceil(left + r.makespan * scale + 10);
  const height = s.p * row + 30;
  const rects = r.timeline
    .filter((t) => t.end > t.start)
    .map((t) => {
      const x = left + t.start * scale;
      const w = (t.end - t.start) * scale;
      const y = 10 + t.rank * row;
      const fill =
        t.action.kind === 'F'
          ? t.action.chunk % 2
            ? '#7fa7e0'
            : '#4a7fd0'
          : t.action.chunk % 2
            ? '#8fd49a'
            : '#4caf5e';
      return (
        `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${row - 6}" fill="${fill}" stroke="#222" stroke-width="0.5"/>` +
        `<text x="${(x + w / 2).toFixed(1)}" y="${y + row / 2}" font-size="10" text-anchor="middle" font-family="monospace">${label(t, s.v)}</text>`
      );
    });
  const names = s.ranks.map(
    (_, i) => `<text x="4" y="${10 + i * row + row / 2}" font-size="11" font-family="monospace">r${i}</text>`,
  );
  const title = `<text x="${left}" y="${height - 6}" font-size="11" font-family="sans-serif">${s.name} p=${s.p} m=${s.m}${s.v > 1 ? ` v=${s.v}` : ''}: bubble ${(r.bubble * 100).toFixed(1)}%</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${[...names, ...rects, title].join('\n')}\n</svg>\n`;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
