/**
 * Writes the MIG cross-check cases' inputs (test/vision/metrics/mig-cases.ts) as JSON for the
 * independent reference, scripts/crosscheck/mig.py. The committed table was made with:
 *   npx tsx scripts/crosscheck/mig-cases.ts /tmp/mig-cases.json
 *   python3 scripts/crosscheck/mig.py /tmp/mig-cases.json > test/fixtures/mig-crosscheck.json
 */
import { writeFileSync } from 'node:fs';
import { migCrosscheckCases } from '../../test/vision/metrics/mig-cases.ts';

const out = process.argv[2];
if (out === undefined) {
  console.error('usage: npx tsx scripts/crosscheck/mig-cases.ts <out.json>');
  process.exit(2);
}
writeFileSync(out, JSON.stringify(await migCrosscheckCases()));
console.error(`wrote ${out}`);
