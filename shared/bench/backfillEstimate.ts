import { BACKFILL_FILES_PER_BATCH, DEFAULT_BACKFILL_CONCURRENCY } from '../deploy/stateMachines';
import { PRICES } from './reconcileSimulation';

/**
 * What a backfill of an organization's archive takes and costs, from a stated model of the archive and of the
 * child's work (no AWS call is made: these are estimates, printed with their assumptions).
 */
export interface ArchiveModel {
  accounts: number;
  days: number;
  /** CloudTrail delivers a file about every 5 minutes per region with activity. */
  filesPerAccountDay: number;
  /** Events RoleWatch evaluates (the rest of a file is dropped unparsed): mostly AssumeRole by services. */
  assumptionsPerAccountDay: number;
  iamChangesPerAccountDay: number;
  /** Write request units per event (shared/engine/README.md, Performance: measured on DynamoDB Local by the bench). */
  writeUnitsPerAssumption: number;
  writeUnitsPerIamChange: number;
  /** The child's time: per file (GET, gunzip, reading) and per evaluated event (its DynamoDB writes). */
  secondsPerFile: number;
  secondsPerEvent: number;
}

export const ONE_YEAR_OF_1000_ACCOUNTS: ArchiveModel = {
  accounts: 1000,
  days: 365,
  filesPerAccountDay: 288,
  assumptionsPerAccountDay: 1000,
  iamChangesPerAccountDay: 20,
  writeUnitsPerAssumption: 2.8,
  writeUnitsPerIamChange: 10,
  secondsPerFile: 0.04,
  secondsPerEvent: 0.008,
};

const S3_GET = 0.0004 / 1000;
const S3_LIST = 0.005 / 1000;

export interface BackfillEstimate {
  files: number;
  events: number;
  batches: number;
  concurrency: number;
  wallSeconds: number;
  cost: { dynamodb: number; lambda: number; stepFunctions: number; s3: number; total: number };
}

/** The estimate at a concurrency (the deployment's backfillConcurrency). */
export function estimateBackfill(model: ArchiveModel, concurrency = DEFAULT_BACKFILL_CONCURRENCY): BackfillEstimate {
  const accountDays = model.accounts * model.days;
  const files = accountDays * model.filesPerAccountDay;
  const assumptions = accountDays * model.assumptionsPerAccountDay;
  const changes = accountDays * model.iamChangesPerAccountDay;
  const events = assumptions + changes;
  const batches = Math.ceil(files / BACKFILL_FILES_PER_BATCH);
  const childSeconds = files * model.secondsPerFile + events * model.secondsPerEvent;
  const dynamodb = (assumptions * model.writeUnitsPerAssumption + changes * model.writeUnitsPerIamChange) * PRICES.writeUnit;
  const lambda = childSeconds * PRICES.lambdaGbSecond + batches * PRICES.lambdaRequest;
  // One state per child (and the map's own), as for reconcile.
  const stepFunctions = (batches + 2) * PRICES.transition;
  const s3 = files * S3_GET + Math.ceil(files / 1000) * S3_LIST;
  return {
    files,
    events,
    batches,
    concurrency,
    wallSeconds: childSeconds / concurrency,
    cost: { dynamodb, lambda, stepFunctions, s3, total: dynamodb + lambda + stepFunctions + s3 },
  };
}

export function formatBackfillEstimate(model: ArchiveModel, estimates: readonly BackfillEstimate[]): string {
  const usd = (value: number) => `$${Math.round(value).toLocaleString('en-US')}`;
  const days = (seconds: number) =>
    seconds >= 86_400 ? `${(seconds / 86_400).toFixed(1)} days` : `${(seconds / 3600).toFixed(1)} h`;
  const [first] = estimates;
  if (!first) return '';
  return [
    `backfill estimate: ${model.days} days of ${model.accounts.toLocaleString('en-US')} accounts' trails`,
    `  model: ${model.filesPerAccountDay} log files and ${model.assumptionsPerAccountDay} role assumptions + ${model.iamChangesPerAccountDay} IAM changes per account and day; ` +
      `${model.writeUnitsPerAssumption} WRU per assumption, ${model.writeUnitsPerIamChange} per change; child ${model.secondsPerFile * 1000} ms per file + ${model.secondsPerEvent * 1000} ms per event at 1 GB`,
    `  ${first.files.toLocaleString('en-US')} files, ${first.events.toLocaleString('en-US')} events, ${first.batches.toLocaleString('en-US')} batches`,
    `  cost ${usd(first.cost.total)} (DynamoDB ${usd(first.cost.dynamodb)}, Lambda ${usd(first.cost.lambda)}, Step Functions ${usd(first.cost.stepFunctions)}, S3 ${usd(first.cost.s3)})`,
    ...estimates.map((e) => `  wall time at concurrency ${e.concurrency}: ${days(e.wallSeconds)}`),
  ].join('\n');
}
