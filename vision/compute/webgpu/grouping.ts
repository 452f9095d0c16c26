/**
 * How the WebGPU Conv2DBackpropFilter (kernels.ts) splits a batch into matmul groups: pure
 * arithmetic, kept apart from the kernels so it is tested on any machine, adapter or not.
 */

/** Rows (N·OH·OW positions) each matmul group should cover: enough to keep a tile busy. */
export const TARGET_ROWS_PER_GROUP = 1024;

/** Images per matmul group: divides N, and groups cover about TARGET_ROWS_PER_GROUP positions. */
export function imagesPerGroup(n: number, positionsPerImage: number): number {
  let g = Math.max(1, Math.min(n, Math.floor(TARGET_ROWS_PER_GROUP / positionsPerImage)));
  while (n % g !== 0) g--;
  return g;
}
