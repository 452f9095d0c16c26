/**
 * The report a train-agent run leaves behind: report.md (task, front-end and encoder, final
 * held-out evaluation, speed) and images/learning_curve.svg (training and evaluation return over
 * env steps, from metrics.jsonl).
 */
import fs from 'node:fs';
import type { RunDir } from '../envs/util/run-dir.ts';
import { lineChartSvg } from '../vision/report/charts.ts';
import type { AgentConfig } from './config.ts';
import type { EvalResult } from './evaluate.ts';
import type { FrontendRecord } from './frontends.ts';
import { taskLabel, type Task } from './tasks.ts';

export interface TrainReportInput {
  config: AgentConfig;
  task: Task;
  frontend: FrontendRecord;
  finalEval: EvalResult | null;
  sps: number;
  globalStep: number;
  seconds: number;
  backend: string;
}

export async function writeTrainReport(run: RunDir, r: TrainReportInput): Promise<void> {
  const metrics = run.readMetrics();
  const series = (key: string) => metrics.filter((m) => typeof m[key] === 'number').map((m) => [m.step, m[key] as number] as const);
  const curve = await lineChartSvg({
    title: `${r.config.frontend} on ${taskLabel(r.task)} (seed ${r.config.seed})`,
    series: [
      { name: 'training episodes', points: series('charts/episodic_return') },
      { name: 'held-out evaluation', points: series('eval/episodic_return') },
    ],
    xLabel: 'env steps',
    yLabel: 'episodic return',
  });
  fs.mkdirSync(run.imagesDir, { recursive: true });
  fs.writeFileSync(run.imagePath('learning_curve.svg'), curve);

  const enc = r.frontend.encoder;
  const lines = [
    `# Agent: ${r.config.frontend} (${r.config.algo.toUpperCase()}) on ${taskLabel(r.task)}`,
    '',
    `- seed ${r.config.seed}, ${r.globalStep} env steps in ${r.seconds.toFixed(1)} s (${Math.round(r.sps)} steps/s this session, backend ${r.backend})`,
    `- policy input: ${r.frontend.kind}, shape [${r.frontend.inputShape.join(', ')}] from observations [${r.frontend.obsShape.join(', ')}]`,
  ];
  if (enc !== undefined) {
    lines.push(`- encoder: ${enc.path} (fingerprint ${enc.fingerprint}, objective ${JSON.stringify(enc.objective)}, saw variants: ${enc.seenVariants.join(', ') || 'unknown'})`);
  }
  if (r.finalEval !== null) {
    const e = r.finalEval;
    lines.push(
      `- final held-out evaluation (${e.returns.length} episodes, deterministic policy): return ${e.meanReturn.toFixed(3)}, length ${e.meanLength.toFixed(1)}` +
        (e.successRate === null ? '' : `, success ${(100 * e.successRate).toFixed(1)}%`),
    );
  }
  lines.push('', '![learning curve](images/learning_curve.svg)', '');
  run.writeText('report.md', lines.join('\n'));
}
