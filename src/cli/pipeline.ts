import { writeFileSync } from 'node:fs';
import { InvalidArgumentError } from '../common/index.js';
import { asciiGrid, makeSchedule, scheduleToJson, simulate, svgTimeline, theoreticalBubble } from '../train/index.js';

export interface PipelineShowFlags {
  schedule: string;
  p: number;
  m: number;
  v?: number;
  json?: boolean;
  svg?: string;
  buffered?: boolean;
}

/** `troupe pipeline show`: the schedule's step × stage grid, or its JSON, and optionally an SVG timeline. */
export function pipelineShowCommand(flags: PipelineShowFlags): void {
  if (flags.v !== undefined && flags.schedule !== 'interleaved') {
    throw new InvalidArgumentError(
      `-v (model chunks per rank) applies to --schedule interleaved only, not ${flags.schedule}`,
      { context: { field: '-v' } },
    );
  }
  const schedule = makeSchedule(flags.schedule, flags.p, flags.m, flags.v ?? 2);
  // Interleaving needs asynchronous sends (see generators.ts); the others are checked under rendezvous.
  const sendMode = flags.buffered || schedule.name === 'interleaved' ? 'buffered' : 'rendezvous';
  const result = simulate(schedule, { sendMode });
  if (flags.svg) writeFileSync(flags.svg, svgTimeline(schedule, result));
  if (flags.json) {
    const out = {
      ...scheduleToJson(schedule),
      sendMode,
      makespan: result.makespan,
      bubble: result.bubble,
      theoreticalBubble: theoreticalBubble(schedule.p, schedule.m, schedule.v),
      peakInFlight: result.peakInFlight,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  process.stdout.write(asciiGrid(schedule, result));
  process.stdout.write(
    `theoretical bubble (p − 1)/(v·m + p − 1) = ${(theoreticalBubble(schedule.p, schedule.m, schedule.v) * 100).toFixed(1)}%; checked with ${sendMode} sends\n`,
  );
  if (flags.svg) process.stdout.write(`timeline written to ${flags.svg}\n`);
}
