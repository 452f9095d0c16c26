/**
 * MIG per factor for people to read: Markdown rows (one column per encoder: each varying factor's gap
 * and top latent, task factors marked, then the task MIG and the mean) for vision.md and the pipeline
 * report, and one line for the terminal. Reads the flat scores MIG writes (`mig_gap_<factor>`,
 * `mig_top_latent_<factor>`, `mig_task`, `mig`, `mig_num_factors`); no tensors, no I/O.
 */

/**
 * Markdown rows of MIG per factor, one column per encoder: each scored factor's gap and the latent
 * with its top MI (from the `mig_gap_<factor>` / `mig_top_latent_<factor>` scores), task factors
 * marked, then the task MIG and the mean. Empty when no column has per-factor scores (scores
 * written before they existed).
 */
export function migPerFactorMarkdown(columns: readonly { label: string; scores: Readonly<Record<string, unknown>> | null | undefined }[], taskFactors: readonly string[]): string[] {
  const names: string[] = [];
  for (const c of columns) {
    for (const key of Object.keys(c.scores ?? {})) {
      if (key.startsWith('mig_gap_') && !names.includes(key.slice(8))) names.push(key.slice(8));
    }
  }
  if (names.length === 0) return [];
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const cell = (c: (typeof columns)[number], name: string) => {
    const gap = num(c.scores?.[`mig_gap_${name}`]);
    const latent = num(c.scores?.[`mig_top_latent_${name}`]);
    return gap === undefined ? 'n/a' : `${gap.toFixed(3)}${latent === undefined ? '' : ` (z${latent})`}`;
  };
  const mean = (c: (typeof columns)[number], key: string) => num(c.scores?.[key])?.toFixed(3) ?? 'n/a';
  return [
    `| factor | ${columns.map((c) => `${c.label}: gap (top latent)`).join(' | ')} |`,
    `|---|${columns.map(() => '---|').join('')}`,
    ...names.map((name) => `| ${name}${taskFactors.includes(name) ? ' (task)' : ''} | ${columns.map((c) => cell(c, name)).join(' | ')} |`),
    `| **task MIG** (mean over the task factors) | ${columns.map((c) => `**${mean(c, 'mig_task')}**`).join(' | ')} |`,
    `| MIG (mean over all ${columns.map((c) => num(c.scores?.mig_num_factors) ?? '?').join(' / ')} varying factors) | ${columns.map((c) => mean(c, 'mig')).join(' | ')} |`,
  ];
}

/** One line of MIG per factor for a terminal: `agent_x* 0.004 z3 · …` (* a task factor); '' without per-factor scores. */
export function migPerFactorText(scores: Readonly<Record<string, unknown>>, taskFactors: readonly string[]): string {
  const parts: string[] = [];
  for (const [key, gap] of Object.entries(scores)) {
    if (!key.startsWith('mig_gap_') || typeof gap !== 'number') continue;
    const name = key.slice(8);
    const latent = scores[`mig_top_latent_${name}`];
    parts.push(`${name}${taskFactors.includes(name) ? '*' : ''} ${gap.toFixed(3)}${typeof latent === 'number' ? ` z${latent}` : ''}`);
  }
  return parts.length === 0 ? '' : `MIG per factor (gap, top latent; * task factor): ${parts.join(' · ')}`;
}
