/** The wrappers: base classes, TimeLimit, RecordEpisodeStatistics, FrameStack, Autoreset. */
export { Wrapper, ObservationWrapper } from './wrapper.ts';
export { TimeLimit } from './time-limit.ts';
export { RecordEpisodeStatistics, type EpisodeStats } from './record-episode-statistics.ts';
export { FrameStack, type FramePadding } from './frame-stack.ts';
export { Autoreset } from './autoreset.ts';
