/**
 * RoleWatch's Step Functions state machines, as Amazon States Language. serverless.yml reads them through
 * serverlessVariables.js, with `${Name}` placeholders that CloudFormation fills in (DefinitionSubstitutions):
 * one source for the deployment, the tests (asl-validator, a step-by-step run of the steps) and the simulation.
 */

/** Placeholders of the definitions, filled in by CloudFormation from the stack's own resources. */
export const SUBSTITUTIONS = {
  reconcile: ['ReconcileAccountsFunctionArn', 'ReconcileFunctionArn', 'ReconcileFinishFunctionArn', 'TableName'],
  backfill: ['BackfillFunctionArn'],
} as const;

/** A Retry entry of the States language. */
export interface RetryPolicy {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

/** The name the account step gives a read IAM throttled beyond the SDK's own retries (functions/reconcile). */
export const THROTTLED_ERROR = 'RoleWatch.Throttled';

/** Errors of the Lambda service itself, worth retrying for any task (AWS's recommendation for lambda:invoke). */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

export const RETRY = {
  lambdaService: {
    ErrorEquals: LAMBDA_SERVICE_ERRORS,
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
  /**
   * IAM answers GetAccountAuthorizationDetails at a low per-account rate; the SDK retries three times within
   * seconds, then the state machine waits longer: 10 s, 20 s, 40 s, 80 s, 120 s (jittered), ~4.5 min in all.
   */
  throttled: {
    ErrorEquals: [THROTTLED_ERROR],
    IntervalSeconds: 10,
    MaxAttempts: 5,
    BackoffRate: 2,
    MaxDelaySeconds: 120,
    JitterStrategy: 'FULL',
  },
  /** A step that failed as a whole (DynamoDB or SNS beyond the SDK's retries): once more, a little later. */
  step: {
    ErrorEquals: ['States.TaskFailed'],
    IntervalSeconds: 30,
    MaxAttempts: 2,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
} as const satisfies Record<string, RetryPolicy>;

/** How many accounts are reconciled at once unless the `reconcileConcurrency` parameter says otherwise. */
export const DEFAULT_RECONCILE_CONCURRENCY = 20;
/**
 * The most accounts one reconcile run carries: the list travels in the execution's state (256 KB, ~15 bytes
 * an account) and in the finish step's input. Beyond it the list step refuses, naming the limit.
 */
export const MAX_ACCOUNTS_PER_RUN = 15_000;
/** How many batches of log files a backfill evaluates at once unless `backfillConcurrency` says otherwise. */
export const DEFAULT_BACKFILL_CONCURRENCY = 10;
/** Log files per child of a backfill. */
export const BACKFILL_FILES_PER_BATCH = 50;

/** A `${Name}` placeholder that CloudFormation fills in. */
const placeholder = (name: string) => `\${${name}}`;

const lambdaInvoke = (functionArn: string, payload: Record<string, unknown> | string) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: {
    FunctionName: placeholder(functionArn),
    ...(typeof payload === 'string' ? { 'Payload.$': payload } : { Payload: payload }),
  },
});

/**
 * Reconcile: list the accounts, reconcile each in a child execution of a Distributed Map (at most
 * `concurrency` at once; a throttled read retried with backoff; any failure caught and recorded for that
 * account alone), then recount the summary and send pending alerts. The run fails, naming the accounts and
 * why, when any account failed: the alarm on failed executions tells the alert topic.
 */
export function reconcileDefinition(concurrency: number = DEFAULT_RECONCILE_CONCURRENCY): Record<string, unknown> {
  return {
    Comment: 'RoleWatch reconcile: every account re-read from IAM, one child execution per account',
    StartAt: 'ListAccounts',
    // Far beyond a run's length (see shared/deploy/README.md, Organization scale) and well within the daily schedule.
    TimeoutSeconds: 6 * 3600,
    States: {
      ListAccounts: {
        ...lambdaInvoke('ReconcileAccountsFunctionArn', { 'runId.$': '$$.Execution.Name' }),
        ResultSelector: { 'accounts.$': '$.Payload.accounts', 'expiresAt.$': '$.Payload.expiresAt' },
        ResultPath: '$.run',
        Retry: [RETRY.lambdaService, RETRY.step],
        Next: 'ReconcileAccounts',
      },
      ReconcileAccounts: {
        Type: 'Map',
        Label: 'ReconcileAccounts',
        ItemsPath: '$.run.accounts',
        ItemSelector: {
          'account.$': '$$.Map.Item.Value',
          'runId.$': '$$.Execution.Name',
          'startedAt.$': '$$.Execution.StartTime',
          'expiresAt.$': '$.run.expiresAt',
        },
        MaxConcurrency: concurrency,
        // Every failure is caught in the child and recorded; a child that still fails (its record could not be
        // written) is reported by the finish step as an account without an outcome.
        ToleratedFailurePercentage: 100,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'ReconcileAccount',
          States: {
            ReconcileAccount: {
              ...lambdaInvoke('ReconcileFunctionArn', '$'),
              // The child's output is emptied: 10,000 children must not fill the Map's 256 KB result. (Not
              // `OutputPath: null`: osls strips nulls from a template's resources.)
              ResultSelector: {},
              Retry: [RETRY.throttled, RETRY.lambdaService],
              Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'RecordFailure' }],
              End: true,
            },
            RecordFailure: {
              Type: 'Task',
              Resource: 'arn:aws:states:::dynamodb:putItem',
              Parameters: {
                TableName: placeholder('TableName'),
                Item: {
                  pk: { 'S.$': "States.Format('RECONCILE#{}', $.runId)" },
                  sk: { 'S.$': "States.Format('ACCOUNT#{}', $.account)" },
                  account: { 'S.$': '$.account' },
                  failure: { 'S.$': 'States.JsonToString($.failure)' },
                  expiresAt: { 'N.$': "States.Format('{}', $.expiresAt)" },
                },
              },
              ResultSelector: {},
              Retry: [{ ...RETRY.step, IntervalSeconds: 5, MaxAttempts: 5 }],
              End: true,
            },
          },
        },
        // The children's (empty) results, counted and set aside: the state keeps the account list for Finish.
        ResultSelector: { 'children.$': 'States.ArrayLength($)' },
        ResultPath: '$.mapped',
        Next: 'Finish',
      },
      Finish: {
        ...lambdaInvoke('ReconcileFinishFunctionArn', { 'runId.$': '$$.Execution.Name', 'accounts.$': '$.run.accounts' }),
        OutputPath: '$.Payload',
        Retry: [RETRY.lambdaService, RETRY.step],
        Next: 'AnyAccountFailed',
      },
      AnyAccountFailed: {
        Type: 'Choice',
        Choices: [{ Variable: '$.failed', NumericGreaterThan: 0, Next: 'AccountsFailed' }],
        Default: 'Reconciled',
      },
      AccountsFailed: { Type: 'Fail', Error: 'RoleWatch.AccountsNotReconciled', CausePath: '$.message' },
      Reconciled: { Type: 'Succeed' },
    },
  };
}

/**
 * Backfill: a Distributed Map over the objects of a trail's S3 prefix (Step Functions lists them itself),
 * batches of log files per child, each evaluated into the table without alerting. Input:
 * `{bucket, prefix, since, until}` (ISO dates; files outside are skipped by the child). A child that fails
 * after its retries fails the run; `rolewatch backfill --resume` redrives what did not succeed.
 */
export function backfillDefinition(concurrency: number = DEFAULT_BACKFILL_CONCURRENCY): Record<string, unknown> {
  return {
    Comment: 'RoleWatch backfill: CloudTrail log files of an S3 prefix evaluated into the table, no alerts',
    StartAt: 'EvaluateLogFiles',
    States: {
      EvaluateLogFiles: {
        Type: 'Map',
        Label: 'EvaluateLogFiles',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:listObjectsV2',
          Parameters: { 'Bucket.$': '$.bucket', 'Prefix.$': '$.prefix' },
        },
        ItemBatcher: {
          MaxItemsPerBatch: BACKFILL_FILES_PER_BATCH,
          BatchInput: { 'bucket.$': '$.bucket', 'since.$': '$.since', 'until.$': '$.until' },
        },
        MaxConcurrency: concurrency,
        ToleratedFailurePercentage: 0,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'EvaluateBatch',
          States: {
            EvaluateBatch: {
              ...lambdaInvoke('BackfillFunctionArn', '$'),
              ResultSelector: {},
              Retry: [RETRY.lambdaService, { ...RETRY.step, IntervalSeconds: 10, MaxAttempts: 3 }],
              End: true,
            },
          },
        },
        ResultSelector: { 'batches.$': 'States.ArrayLength($)' },
        End: true,
      },
    },
  };
}

/** The `${Name}` placeholders a definition uses. */
export function placeholdersOf(definition: unknown): string[] {
  const names = new Set<string>();
  for (const match of JSON.stringify(definition).matchAll(/\$\{([A-Za-z]+)\}/g)) if (match[1]) names.add(match[1]);
  return [...names].sort();
}
