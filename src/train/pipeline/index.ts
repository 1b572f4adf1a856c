/** Pipeline parallelism: schedules as data, their simulator and pictures, and the layer partitioner. */
export {
  type Action,
  type ActionKind,
  type Schedule,
  formatAction,
  parseAction,
  scheduleToJson,
  scheduleFromText,
  virtualStage,
} from './schedule.js';
export { gpipe, oneFOneB, interleaved, makeSchedule, SCHEDULE_NAMES, type ScheduleName } from './generators.js';
export {
  simulate,
  checkSchedule,
  theoreticalBubble,
  ScheduleError,
  type SimulateOptions,
  type SimulationResult,
  type TimedAction,
} from './simulate.js';
export { asciiGrid, svgTimeline } from './render.js';
export { partition, type LayerInfo, type PartitionSpec, type StageRanges } from './partition.js';
