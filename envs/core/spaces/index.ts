/** The concrete spaces: Box, Discrete, MultiDiscrete, Dict. */
export { Box, allocate, type BoxValue, type DtypeArray } from './box.ts';
export { Discrete } from './discrete.ts';
export { MultiDiscrete } from './multi-discrete.ts';
export { Dict, type DictValue } from './dict.ts';
