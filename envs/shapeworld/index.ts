/** The shape world: env, variants, factors, renderer, factor dataset, frame collection, sheets, demo. */
export * from './shapes.ts';
export * from './variants.ts';
export * from './factors.ts';
export { Painter, blit, DISTRACTOR_STRIDE } from './painter.ts';
export * from './world.ts';
export * from './collect.ts';
export * from './sheets.ts';
export { expertAction } from './expert.ts';
