/**
 * A planning expert for the shape world: breadth-first search from the agent to the goal on the
 * grid, never entering the hazard's cell, returning the first action of a shortest path. It reads
 * the true cells (ShapeWorldEnv.sceneCells), so it is a reference for "a good policy" (tests check
 * it wins every episode) and an upper bound for learned agents — not something they may use.
 */
import { ACTION_DX, ACTION_DY } from './world.ts';

export interface GridCells {
  agent: readonly [number, number];
  goal: readonly [number, number];
  hazard: readonly [number, number];
}

/** The first action (1..4) of a shortest hazard-free path to the goal; 0 (noop) when none exists. */
export function expertAction(cells: GridCells, gridSize: number): number {
  const g = gridSize;
  const start = cells.agent[1] * g + cells.agent[0];
  const goal = cells.goal[1] * g + cells.goal[0];
  const hazard = cells.hazard[1] * g + cells.hazard[0];
  if (start === goal) return 0;
  // firstAction[k]: the action taken from the start on the way to cell k (-1: not reached).
  const firstAction = new Int8Array(g * g).fill(-1);
  const queue = new Int32Array(g * g);
  let head = 0;
  let tail = 0;
  firstAction[start] = 0;
  queue[tail++] = start;
  while (head < tail) {
    const k = queue[head++];
    const x = k % g;
    const y = (k - x) / g;
    for (let a = 1; a <= 4; a++) {
      const nx = x + ACTION_DX[a];
      const ny = y + ACTION_DY[a];
      if (nx < 0 || ny < 0 || nx >= g || ny >= g) continue;
      const n = ny * g + nx;
      if (n === hazard || firstAction[n] !== -1) continue;
      firstAction[n] = k === start ? a : firstAction[k];
      if (n === goal) return firstAction[n];
      queue[tail++] = n;
    }
  }
  return 0;
}
