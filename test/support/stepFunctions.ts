import { randomUUID } from 'node:crypto';
import { type AttributeValue, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '../../shared/concurrency';

/**
 * Runs a RoleWatch state machine definition here, step by step, the way Step Functions would: the parts of
 * the States language the definitions use (Task on lambda:invoke and dynamodb:putItem, Map, Choice, Fail,
 * Succeed; Parameters with `.$` paths and the intrinsics States.Format / States.JsonToString; ResultSelector,
 * ResultPath, OutputPath; Retry by error name, without waiting; Catch). Lambda functions are the handlers
 * themselves; a thrown error reaches the state machine as Lambda reports it (Error = the error's name,
 * Cause = JSON with errorType and errorMessage). Anything else in a definition is refused, so a definition
 * that grows beyond this must grow this too.
 */
export interface MachineDeps {
  /** Placeholder (`${Name}`) → handler, for lambda:invoke tasks. */
  functions: Record<string, (input: unknown) => Promise<unknown>>;
  /** Placeholder → value, for the other substitutions (TableName). */
  substitutions?: Record<string, string>;
  dynamo?: DynamoDBClient;
  /** For a Map's ItemReader on s3:listObjectsV2. */
  s3?: S3Client;
  /** Calls to each task state, by state name (attempts included). */
  calls?: Map<string, number>;
}

export type ExecutionResult = { status: 'SUCCEEDED'; output: unknown } | { status: 'FAILED'; error: string; cause: string };

interface ExecutionContext {
  Execution: { Name: string; StartTime: string };
  Map?: { Item: { Index: number; Value: unknown } };
}

class StatesError extends Error {
  constructor(
    readonly error: string,
    readonly text: string,
  ) {
    super(`${error}: ${text}`);
  }
}

type State = Record<string, unknown>;
type Machine = { StartAt: string; States: Record<string, State> };

export async function runStateMachine(
  definition: Record<string, unknown>,
  input: unknown,
  deps: MachineDeps,
  execution: { name?: string; startTime?: Date } = {},
): Promise<ExecutionResult> {
  const context: ExecutionContext = {
    Execution: { Name: execution.name ?? randomUUID(), StartTime: (execution.startTime ?? new Date()).toISOString() },
  };
  try {
    return { status: 'SUCCEEDED', output: await runMachine(definition as Machine, input, context, deps) };
  } catch (error) {
    if (error instanceof StatesError) return { status: 'FAILED', error: error.error, cause: error.text };
    throw error;
  }
}

async function runMachine(machine: Machine, input: unknown, context: ExecutionContext, deps: MachineDeps): Promise<unknown> {
  let name: string | undefined = machine.StartAt;
  let data = input;
  while (name !== undefined) {
    const state: State | undefined = machine.States[name];
    if (!state) throw new Error(`no state ${name}`);
    const { output, next } = await runState(name, state, data, context, deps);
    data = output;
    name = next;
  }
  return data;
}

async function runState(
  name: string,
  state: State,
  input: unknown,
  context: ExecutionContext,
  deps: MachineDeps,
): Promise<{ output: unknown; next?: string }> {
  const next = typeof state.Next === 'string' ? state.Next : undefined;
  switch (state.Type) {
    case 'Succeed':
      return { output: input };
    case 'Fail':
      throw new StatesError(
        String(state.Error ?? (state.ErrorPath ? readPath(state.ErrorPath as string, input, context) : '')),
        String(state.Cause ?? (state.CausePath ? readPath(state.CausePath as string, input, context) : '')),
      );
    case 'Choice': {
      for (const choice of (state.Choices as State[]) ?? []) {
        const value = readPath(choice.Variable as string, input, context);
        if ('NumericGreaterThan' in choice) {
          if (typeof value === 'number' && value > Number(choice.NumericGreaterThan))
            return { output: input, next: choice.Next as string };
        } else throw new Error(`choice ${JSON.stringify(choice)} is not supported here`);
      }
      return { output: input, next: state.Default as string };
    }
    case 'Task':
    case 'Map': {
      try {
        const result = await withRetries(state, () =>
          state.Type === 'Task' ? runTask(name, state, input, context, deps) : runMap(state, input, context, deps),
        );
        const selected = state.ResultSelector ? resolveParameters(state.ResultSelector, result, context) : result;
        return { output: applyOutput(state, input, selected), ...(next ? { next } : {}) };
      } catch (error) {
        if (!(error instanceof StatesError)) throw error;
        const handler = ((state.Catch as State[]) ?? []).find((c) => matches(c.ErrorEquals as string[], error.error));
        if (!handler) throw error;
        const caught = setPath(input, handler.ResultPath as string, { Error: error.error, Cause: error.text });
        return { output: caught, next: handler.Next as string };
      }
    }
    default:
      throw new Error(`state type ${String(state.Type)} is not supported here`);
  }
}

async function withRetries(state: State, attempt: () => Promise<unknown>): Promise<unknown> {
  const used = new Map<State, number>();
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      const retry = ((state.Retry as State[]) ?? []).find((r) => matches(r.ErrorEquals as string[], error.error));
      const count = retry ? (used.get(retry) ?? 0) : 0;
      if (!retry || count >= Number(retry.MaxAttempts ?? 3)) throw error;
      used.set(retry, count + 1);
    }
  }
}

function matches(names: readonly string[], error: string): boolean {
  return (
    names.includes(error) ||
    (names.includes('States.ALL') && error !== 'States.Runtime') ||
    (names.includes('States.TaskFailed') && !error.startsWith('States.'))
  );
}

async function runTask(
  name: string,
  state: State,
  input: unknown,
  context: ExecutionContext,
  deps: MachineDeps,
): Promise<unknown> {
  deps.calls?.set(name, (deps.calls.get(name) ?? 0) + 1);
  const parameters = substitute(resolveParameters(state.Parameters ?? {}, input, context), deps.substitutions ?? {}) as State;
  if (state.Resource === 'arn:aws:states:::lambda:invoke') {
    const placeholder = /^\$\{(\w+)\}$/.exec(String((state.Parameters as State).FunctionName))?.[1] ?? '';
    const fn = deps.functions[placeholder];
    if (!fn) throw new Error(`no function for ${placeholder}`);
    try {
      // Lambda hands the function a JSON copy of the payload and returns a JSON copy of its result.
      const payload = await fn(JSON.parse(JSON.stringify(parameters.Payload ?? {})));
      return { Payload: payload === undefined ? null : JSON.parse(JSON.stringify(payload)), StatusCode: 200 };
    } catch (error) {
      const { name: errorType, message } = error as Error;
      throw new StatesError(errorType, JSON.stringify({ errorType, errorMessage: message, trace: [] }));
    }
  }
  if (state.Resource === 'arn:aws:states:::dynamodb:putItem') {
    if (!deps.dynamo) throw new Error('no DynamoDB client');
    await deps.dynamo.send(
      new PutItemCommand({ TableName: String(parameters.TableName), Item: parameters.Item as Record<string, AttributeValue> }),
    );
    return {};
  }
  throw new Error(`resource ${String(state.Resource)} is not supported here`);
}

async function runMap(state: State, input: unknown, context: ExecutionContext, deps: MachineDeps): Promise<unknown> {
  const listed = state.ItemReader
    ? await readItems(state.ItemReader as State, input, context, deps)
    : readPath(String(state.ItemsPath ?? '$'), input, context);
  if (!Array.isArray(listed)) throw new StatesError('States.Runtime', 'ItemsPath is not an array');
  const items = state.ItemBatcher ? batchItems(state.ItemBatcher as State, listed, input, context) : listed;
  const processor = state.ItemProcessor as Machine;
  return mapLimit(
    items.map((value, index) => ({ value, index })),
    Number(state.MaxConcurrency ?? 0) || items.length,
    async ({ value, index }) => {
      const itemContext = { ...context, Map: { Item: { Index: index, Value: value } } };
      const itemInput =
        state.ItemSelector && !state.ItemBatcher ? resolveParameters(state.ItemSelector, input, itemContext) : value;
      try {
        return await runMachine(processor, itemInput, itemContext, deps);
      } catch (error) {
        // ToleratedFailurePercentage: a failed child is counted, not fatal, within the tolerance.
        if (error instanceof StatesError && Number(state.ToleratedFailurePercentage ?? 0) >= 100) return null;
        throw error;
      }
    },
  );
}

/** ItemReader on s3:listObjectsV2: every object under the prefix, each as Step Functions hands it on. */
async function readItems(reader: State, input: unknown, context: ExecutionContext, deps: MachineDeps): Promise<unknown[]> {
  if (reader.Resource !== 'arn:aws:states:::s3:listObjectsV2')
    throw new Error(`ItemReader ${String(reader.Resource)} is not supported here`);
  if (!deps.s3) throw new Error('no S3 client');
  const { Bucket, Prefix } = resolveParameters(reader.Parameters ?? {}, input, context) as { Bucket: string; Prefix?: string };
  const items: unknown[] = [];
  let token: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({ Bucket, ...(Prefix ? { Prefix } : {}), ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const object of page.Contents ?? [])
      items.push({
        Etag: object.ETag,
        Key: object.Key,
        LastModified: object.LastModified ? Math.floor(object.LastModified.getTime() / 1000) : undefined,
        Size: object.Size,
        StorageClass: object.StorageClass,
      });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return items;
}

/** ItemBatcher: children get `{Items, BatchInput}`, at most MaxItemsPerBatch items each. */
function batchItems(batcher: State, items: unknown[], input: unknown, context: ExecutionContext): unknown[] {
  const size = Number(batcher.MaxItemsPerBatch ?? items.length) || 1;
  const batchInput = batcher.BatchInput ? resolveParameters(batcher.BatchInput, input, context) : undefined;
  const batches: unknown[] = [];
  for (let i = 0; i < items.length; i += size)
    batches.push({ Items: items.slice(i, i + size), ...(batchInput ? { BatchInput: batchInput } : {}) });
  return batches;
}

function applyOutput(state: State, input: unknown, result: unknown): unknown {
  const combined = 'ResultPath' in state ? setPath(input, state.ResultPath as string | null, result) : result;
  if (!('OutputPath' in state)) return combined;
  if (state.OutputPath === null) return {};
  return readPath(state.OutputPath as string, combined, undefined);
}

/** Parameters / ItemSelector / ResultSelector: keys ending in `.$` are paths or intrinsic functions. */
export function resolveParameters(template: unknown, input: unknown, context: ExecutionContext | undefined): unknown {
  if (Array.isArray(template)) return template.map((item) => resolveParameters(item, input, context));
  if (template === null || typeof template !== 'object') return template;
  return Object.fromEntries(
    Object.entries(template).map(([key, value]) =>
      key.endsWith('.$')
        ? [key.slice(0, -2), evaluate(String(value), input, context)]
        : [key, resolveParameters(value, input, context)],
    ),
  );
}

function evaluate(expression: string, input: unknown, context: ExecutionContext | undefined): unknown {
  const format = /^States\.Format\('([^']*)',\s*(.+)\)$/.exec(expression);
  if (format) {
    const [, text = '', argument = ''] = format;
    return text.replace('{}', String(evaluate(argument.trim(), input, context)));
  }
  const json = /^States\.JsonToString\((.+)\)$/.exec(expression);
  if (json) return JSON.stringify(evaluate(json[1] ?? '', input, context));
  const length = /^States\.ArrayLength\((.+)\)$/.exec(expression);
  if (length) {
    const array = evaluate(length[1] ?? '', input, context);
    if (!Array.isArray(array)) throw new StatesError('States.Runtime', `${expression}: not an array`);
    return array.length;
  }
  return readPath(expression, input, context);
}

function readPath(path: string, input: unknown, context: ExecutionContext | undefined): unknown {
  const [root, ...parts] = path.startsWith('$$.')
    ? ['$$', ...path.slice(3).split('.')]
    : path === '$'
      ? ['$']
      : ['$', ...path.slice(2).split('.')];
  let value: unknown = root === '$$' ? context : input;
  for (const part of parts) {
    if (value === null || typeof value !== 'object' || !(part in value))
      throw new StatesError('States.Runtime', `path ${path} not found`);
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function setPath(input: unknown, path: string | null, value: unknown): unknown {
  if (path === null) return input;
  if (path === '$') return value;
  const parts = path.slice(2).split('.');
  const copy = JSON.parse(JSON.stringify(input ?? {})) as Record<string, unknown>;
  let target = copy;
  for (const part of parts.slice(0, -1)) {
    target[part] = typeof target[part] === 'object' && target[part] !== null ? target[part] : {};
    target = target[part] as Record<string, unknown>;
  }
  target[parts[parts.length - 1] ?? ''] = value;
  return copy;
}

function substitute(value: unknown, substitutions: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\$\{(\w+)\}/g, (whole, name: string) => substitutions[name] ?? whole);
  if (Array.isArray(value)) return value.map((item) => substitute(item, substitutions));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, substitutions)]));
}

/** Runs the reconcile state machine over the deployed handlers, against the table the Lambda environment names. */
export async function runReconcileMachine(options: {
  dynamo: DynamoDBClient;
  tableName: string;
  startTime?: Date;
  calls?: Map<string, number>;
}): Promise<ExecutionResult> {
  const [{ reconcileDefinition }, accounts, account, finish] = await Promise.all([
    import('../../shared/deploy/stateMachines'),
    import('../../functions/reconcile-accounts/handler'),
    import('../../functions/reconcile/handler'),
    import('../../functions/reconcile-finish/handler'),
  ]);
  return runStateMachine(
    reconcileDefinition(),
    {},
    {
      functions: {
        ReconcileAccountsFunctionArn: () => accounts.handler(),
        ReconcileFunctionArn: account.handler,
        ReconcileFinishFunctionArn: finish.handler,
      },
      substitutions: { TableName: options.tableName },
      dynamo: options.dynamo,
      ...(options.calls ? { calls: options.calls } : {}),
    },
    options.startTime ? { startTime: options.startTime } : {},
  );
}
