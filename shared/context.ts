import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import packageJson from '../package.json';
import { type DispatchDeps, dispatchAlerts, dispatchPending } from './alerts/dispatch';
import { SnsAlertPublisher } from './alerts/SnsAlertPublisher';
import { RUN_TTL_DAYS } from './app/reconcileRun';
import type { FinishStepDeps } from './app/reconcileSteps';
import { AWS_CLIENT_OPTIONS } from './awsClients';
import { type Config, validateConfig, withKnownAccounts } from './config/config';
import { Engine, type EngineDeps, type EngineLogger } from './engine/engine';
import { ConfigError, RoleWatchError } from './errors';
import { type FindingExporter, SecurityHubExporter } from './export/securityHub';
import type { Finding } from './findings/finding';
import type { IamAccess, IamAccessSettings } from './iam/access';
import { MemberAccounts } from './iam/CrossAccountIamReader';
import { type PolicyFixtures, StaticIamReader } from './iam/reader';
import type { AlertPublisher } from './ports/alertPublisher';
import type { IamReader } from './ports/iamReader';
import type { OrganizationAccountsStore, OrganizationDirectory } from './ports/organizationAccounts';
import { RULE_IDS, RULES } from './rules/index';
import { DynamoEventLedger } from './store/dynamo/DynamoEventLedger';
import { DynamoFindingStore } from './store/dynamo/DynamoFindingStore';
import { DynamoOrganizationStore } from './store/dynamo/DynamoOrganizationStore';
import { DynamoReconcileRunStore } from './store/dynamo/DynamoReconcileRunStore';
import { DynamoStateStore } from './store/dynamo/DynamoStateStore';
import type { CapacityObserver } from './store/dynamo/DynamoTable';
import { DynamoTable } from './store/dynamo/DynamoTable';
import { MemoryStore } from './store/MemoryStore';

/**
 * The one composition root: every adapter RoleWatch runs with is built here, from validated
 * configuration. Nothing else reads the environment.
 */

/**
 * The engine over any stores: every rule, alerts sent before an event counts as processed. The accounts
 * listed in `organization.accounts` count as known (`knownAccounts` defaults to the organization's).
 */
export function createEngine(deps: Omit<EngineDeps, 'rules'>): Engine {
  return new Engine({
    ...deps,
    config: withKnownAccounts(deps.config, deps.config.organization?.accounts ?? []),
    rules: RULES,
  });
}

/** What an in-memory run needs: the engine and the store behind it. */
export interface MemoryContext {
  engine: Engine;
  store: MemoryStore;
  config: Config;
}

/**
 * In-memory runs (`rolewatch evaluate`, engine tests): memory store, IAM reader over known policies
 * (offline, nothing else is readable).
 */
export function createMemoryContext(options: {
  config: Config;
  policies?: PolicyFixtures;
  /** Reads customer-managed policies; offline by default (only `policies` are known). */
  iam?: IamReader;
  logger?: EngineLogger;
  notify?: EngineDeps['notify'];
  /** See MemoryStore: what a replay in time order may forget behind its newest event. */
  retentionMs?: number;
}): MemoryContext {
  const store = new MemoryStore(options.retentionMs !== undefined ? { retentionMs: options.retentionMs } : {});
  const engine = createEngine({
    state: store,
    findings: store,
    ledger: store,
    iam: options.iam ?? new StaticIamReader(options.policies),
    config: options.config,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.notify ? { notify: options.notify } : {}),
  });
  return { engine, store, config: options.config };
}

/** Stores on one DynamoDB table. */
export interface DynamoStores {
  table: DynamoTable;
  state: DynamoStateStore;
  findings: DynamoFindingStore;
  ledger: DynamoEventLedger;
  /** The accounts' outcomes of reconcile runs (the state machine's steps meet there). */
  runs: DynamoReconcileRunStore;
}

/** Retention of history and of the processed-event ledger, in days. */
export const DEFAULT_RETENTION = { historyTtlDays: 400, ledgerTtlDays: 7 } as const;

export function createDynamoStores(options: {
  client: DynamoDBClient;
  tableName: string;
  meter?: CapacityObserver;
  historyTtlDays?: number;
  ledgerTtlDays?: number;
}): DynamoStores {
  const table = new DynamoTable(options.client, options.tableName, options.meter);
  const ledgerTtlDays = options.ledgerTtlDays ?? DEFAULT_RETENTION.ledgerTtlDays;
  return {
    table,
    state: new DynamoStateStore(table, {
      historyTtlDays: options.historyTtlDays ?? DEFAULT_RETENTION.historyTtlDays,
      ledgerTtlDays,
    }),
    // An occurrence is remembered as long as the history of the event that produced it.
    findings: new DynamoFindingStore(table, {
      occurrenceTtlDays: options.historyTtlDays ?? DEFAULT_RETENTION.historyTtlDays,
    }),
    ledger: new DynamoEventLedger(table, { ttlDays: ledgerTtlDays }),
    runs: new DynamoReconcileRunStore(table, { ttlDays: RUN_TTL_DAYS }),
  };
}

/**
 * A DynamoDB client. Without a target, as a function runs it: the runtime's region and credentials, with
 * Lambda's short timeouts. The command line names a region and, for DynamoDB Local, an endpoint.
 */
export function dynamoClient(target?: { region: string; endpoint?: string | undefined }): DynamoDBClient {
  return new DynamoDBClient(
    target ? { region: target.region, ...(target.endpoint ? { endpoint: target.endpoint } : {}) } : AWS_CLIENT_OPTIONS,
  );
}

/** The stores of a deployed function: its table and retention from the validated environment. */
export function storesOf(env: Environment): DynamoStores {
  return createDynamoStores({
    client: dynamoClient(),
    tableName: env.TABLE_NAME,
    ...(env.HISTORY_TTL_DAYS ? { historyTtlDays: env.HISTORY_TTL_DAYS } : {}),
    ...(env.LEDGER_TTL_DAYS ? { ledgerTtlDays: env.LEDGER_TTL_DAYS } : {}),
  });
}

/**
 * Alert delivery, wired once for every runner: what the engine calls after recording an event's findings
 * (`notify`: the pending alerts, then the Security Hub export of what changed) and what sends the alerts an
 * earlier attempt left pending (`sendPending`, the reconcile sweep). Absent parts do nothing.
 */
export function alertDelivery(options: {
  publisher?: AlertPublisher;
  exporter?: FindingExporter;
  findings: DispatchDeps['findings'];
  apiUrl?: string;
}): { notify?: EngineDeps['notify']; sendPending?: (findings: readonly Finding[]) => Promise<void> } {
  const { publisher, exporter } = options;
  const dispatch: DispatchDeps | undefined = publisher
    ? { publisher, findings: options.findings, now: Date.now, ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) }
    : undefined;
  return {
    ...(dispatch || exporter
      ? {
          notify: async (recorded, resolved) => {
            if (dispatch) await dispatchAlerts(recorded, dispatch);
            await exporter?.export([
              ...recorded.map(({ finding, transition }) => ({ finding, transition })),
              ...resolved.map((finding) => ({ finding, transition: 'resolved' as const })),
            ]);
          },
        }
      : {}),
    ...(dispatch
      ? {
          sendPending: async (findings) => {
            await dispatchPending(findings, dispatch);
          },
        }
      : {}),
  };
}

/** The engine over DynamoDB stores. */
export function createDynamoEngine(options: {
  stores: DynamoStores;
  config: Config;
  iam: IamReader;
  logger?: EngineLogger;
  notify?: EngineDeps['notify'];
  alerting?: boolean;
}): Engine {
  const { stores } = options;
  return createEngine({
    ...(options.alerting === false ? { alerting: false } : {}),
    state: stores.state,
    findings: stores.findings,
    ledger: stores.ledger,
    iam: options.iam,
    config: options.config,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.notify ? { notify: options.notify } : {}),
  });
}

const environmentSchema = z.object({
  TABLE_NAME: z.string().min(1, 'is empty'),
  ALERT_TOPIC_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, 'is not an SNS topic ARN')
    .optional(),
  /** The rolewatch configuration as JSON (serverless.yml writes it from rolewatch.config.*). */
  ROLEWATCH_CONFIG: z.string().optional(),
  /** Base URL of the reporting API, for links in alerts. */
  API_URL: z.string().url('is not a URL').optional(),
  HISTORY_TTL_DAYS: z.coerce.number().int().positive().optional(),
  LEDGER_TTL_DAYS: z.coerce.number().int().positive().optional(),
  /** The account the functions run in (organization mode: the security account). */
  ACCOUNT_ID: z
    .string()
    .regex(/^\d{12}$/, 'is not a 12-digit AWS account id')
    .optional(),
  /** Set by Lambda; names the sessions of the member read role in the members' CloudTrail. */
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
  /** Set by Lambda: the region the function runs in. */
  AWS_REGION: z.string().optional(),
  /** `true`: findings are also imported into AWS Security Hub (deploy parameter securityHub). */
  SECURITY_HUB: z.enum(['true', 'false']).optional(),
  /** Reconcile's self-check (the checks of rolewatch doctor): the stage its rules are named after... */
  STAGE: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,20}$/, 'is not a stage name')
    .optional(),
  /** ...the dead-letter queues it looks into... */
  EVENTS_DEAD_LETTER_QUEUE_URL: z.string().url('is not a URL').optional(),
  ASSUMPTION_DEAD_LETTER_QUEUE_URL: z.string().url('is not a URL').optional(),
  /** ...and the hours without a role assumption that count as blind. */
  MAX_SILENCE_HOURS: z.coerce.number().int().positive().optional(),
});

/** The Lambda environment, validated. */
export type Environment = z.infer<typeof environmentSchema> & { config: Config };

/**
 * Reads and validates the environment once, at cold start. Throws ConfigError naming each missing or bad
 * variable (and each bad configuration key), so a misconfigured deployment fails loudly at once.
 */
export function loadEnvironment(
  env: Record<string, string | undefined> = process.env,
  require: { alerts: boolean } = { alerts: true },
): Environment {
  // Unset and empty are the same: serverless.yml blanks variables a function does not use.
  const parsed = environmentSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== '')),
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  if (require.alerts && !parsed.data.ALERT_TOPIC_ARN)
    throw new ConfigError('invalid environment:\n  ALERT_TOPIC_ARN: is required');
  let configInput: unknown = {};
  if (parsed.data.ROLEWATCH_CONFIG) {
    try {
      configInput = JSON.parse(parsed.data.ROLEWATCH_CONFIG);
    } catch (error) {
      throw new ConfigError(`invalid environment:\n  ROLEWATCH_CONFIG: is not JSON (${(error as Error).message})`);
    }
  }
  const config = validateConfig(configInput, RULE_IDS);
  if (config.organization) {
    const missing = [
      ...(parsed.data.ACCOUNT_ID ? [] : ['  ACCOUNT_ID: is required in organization mode (the account RoleWatch runs in)']),
      ...(config.organization.externalId
        ? []
        : [
            '  ROLEWATCH_CONFIG: organization.externalId is required when deployed (the member read role trusts no call without it)',
          ]),
    ];
    if (missing.length > 0) throw new ConfigError(`invalid environment:\n${missing.join('\n')}`);
  }
  return { ...parsed.data, config };
}

/**
 * The Security Hub exporter when SECURITY_HUB is true: findings of the own account are imported with the
 * function's role, those of other accounts (organization mode) with the member role of that account, as
 * Security Hub takes a finding only from the account it names. The SDK client loads at the first export.
 */
export function securityHubExporter(env: Environment, sessionName: string): FindingExporter | undefined {
  if (env.SECURITY_HUB !== 'true' || !env.AWS_REGION) return undefined;
  const organization = env.config.organization;
  const members =
    organization && env.ACCOUNT_ID
      ? new MemberAccounts({
          ownAccount: env.ACCOUNT_ID,
          ownClient: new IAMClient(AWS_CLIENT_OPTIONS),
          memberRoleName: organization.memberRoleName,
          ...(organization.externalId ? { externalId: organization.externalId } : {}),
          sessionName,
        })
      : undefined;
  const clients = new Map<string, SecurityHubClient>();
  return new SecurityHubExporter({
    region: env.AWS_REGION,
    productVersion: packageJson.version,
    ...(env.API_URL ? { apiUrl: env.API_URL } : {}),
    clientFor: async (account) => {
      const credentials = await members?.credentials(account);
      // Member sessions are renewed by MemberAccounts; a client is kept per set of credentials.
      const key = `${account}:${credentials?.accessKeyId ?? 'own'}`;
      let client = clients.get(key);
      if (!client) {
        const { SecurityHubClient } = await import('@aws-sdk/client-securityhub');
        client = new SecurityHubClient({ ...AWS_CLIENT_OPTIONS, ...(credentials ? { credentials } : {}) });
        clients.set(key, client);
      }
      return client;
    },
  });
}

/** How long an event function trusts the organization's account list it read before reading it again. */
export const ORGANIZATION_ACCOUNTS_TTL_MS = 15 * 60_000;

/** Organization mode, as a Lambda function sees it. */
export interface OrganizationContext {
  /** The account the functions run in: known, and read without assuming a role. */
  ownAccount: string;
  /** Where reconcile keeps the organization's account list. */
  store: OrganizationAccountsStore;
  /** The listed accounts the engine counts as known, and when they were read (discovery only). */
  listed?: { accounts: readonly string[]; readAt: number };
}

/** Everything a RoleWatch Lambda function uses, built once per container. */
export interface LambdaContext {
  env: Environment;
  config: Config;
  logger: Logger;
  stores: DynamoStores;
  iam: IamReader;
  /** Set for the functions that read IAM with `iamAccess` (reconcile reads whole accounts with it). */
  iamAccess?: IamAccess;
  publisher?: AlertPublisher;
  /** Security Hub, when the deployment exports to it. */
  exporter?: FindingExporter;
  /** Sends the alerts an earlier attempt left pending (set when there is an alert topic). */
  sendPending?: (findings: readonly Finding[]) => Promise<void>;
  organization?: OrganizationContext;
  /**
   * The engine for the next event. Organization mode with discovery: the accounts reconcile last listed (kept in
   * the table) count as known. The list is read at the first call of a container and again once it is older than
   * {@link ORGANIZATION_ACCOUNTS_TTL_MS} (one GetItem); the engine is built again only when the list changed.
   * `accounts` gives the list directly (reconcile, which has just listed it).
   */
  engine(options?: { now?: number; accounts?: readonly string[] }): Promise<Engine>;
}

/**
 * Builds the Lambda context from the environment (AWS clients take region and credentials from the runtime).
 * Functions that read IAM pass `iamAccess` (in organization mode it reads the other accounts through their
 * read role) or a reader: the others do not load the IAM or STS client at all.
 */
export function createLambdaContext(
  options: {
    env?: Record<string, string | undefined>;
    alerts?: boolean;
    iam?: IamReader;
    iamAccess?: (settings: IamAccessSettings) => IamAccess;
    /** false: findings are recorded without alerting (backfill: months of history must not page anyone). */
    alerting?: boolean;
  } = {},
): LambdaContext {
  const env = loadEnvironment(options.env ?? process.env, { alerts: options.alerts ?? true });
  const logger = new Logger({ serviceName: 'rolewatch' });
  const stores = storesOf(env);
  const organizationConfig = env.config.organization && env.ACCOUNT_ID ? env.config.organization : undefined;
  const iamAccess = options.iamAccess?.({
    ...(env.ACCOUNT_ID ? { ownAccount: env.ACCOUNT_ID } : {}),
    ...(organizationConfig ? { organization: organizationConfig } : {}),
    sessionName: sessionName(env.AWS_LAMBDA_FUNCTION_NAME),
  });
  const iam = options.iam ?? iamAccess?.reader ?? new StaticIamReader();
  const publisher = env.ALERT_TOPIC_ARN
    ? new SnsAlertPublisher(new SNSClient(AWS_CLIENT_OPTIONS), env.ALERT_TOPIC_ARN)
    : undefined;
  const exporter = securityHubExporter(env, sessionName(env.AWS_LAMBDA_FUNCTION_NAME));
  const delivery = alertDelivery({
    ...(publisher ? { publisher } : {}),
    ...(exporter ? { exporter } : {}),
    findings: stores.findings,
    ...(env.API_URL ? { apiUrl: env.API_URL } : {}),
  });
  // Organization mode: the security account itself is one of the organization's, whatever knownAccounts says.
  const ownAccounts = organizationConfig && env.ACCOUNT_ID ? [env.ACCOUNT_ID] : [];
  const engineWith = (knownAccounts: readonly string[]) =>
    createDynamoEngine({
      ...(options.alerting === false ? { alerting: false } : {}),
      stores,
      config: withKnownAccounts(env.config, [...ownAccounts, ...knownAccounts]),
      iam,
      logger: { warn: (message, data) => logger.warn(message, data ?? {}) },
      ...(delivery.notify ? { notify: delivery.notify } : {}),
    });
  const organization: OrganizationContext | undefined =
    organizationConfig && env.ACCOUNT_ID
      ? { ownAccount: env.ACCOUNT_ID, store: new DynamoOrganizationStore(stores.table) }
      : undefined;
  let current = engineWith([]);
  return {
    env,
    config: env.config,
    logger,
    stores,
    iam,
    ...(iamAccess ? { iamAccess } : {}),
    ...(publisher ? { publisher } : {}),
    ...(exporter ? { exporter } : {}),
    ...(delivery.sendPending ? { sendPending: delivery.sendPending } : {}),
    ...(organization ? { organization } : {}),
    async engine(request = {}) {
      const discover = env.config.organization?.discover ? env.config.organization : undefined;
      if (!organization || !discover) return current;
      const now = request.now ?? Date.now();
      if (!request.accounts && organization.listed && now - organization.listed.readAt < ORGANIZATION_ACCOUNTS_TTL_MS)
        return current;
      const accounts = request.accounts ?? (await organization.store.loadAccounts(discover.id))?.accounts ?? [];
      const changed = (organization.listed?.accounts ?? []).join(',') !== accounts.join(',');
      organization.listed = { accounts, readAt: now };
      if (changed) current = engineWith(accounts);
      return current;
    },
  };
}

/**
 * The monitor's self-check as reconcile runs it (the checks of `rolewatch doctor`), when the deployment names its
 * stage: the AWS probe loads at the first check, and the target is read from the environment at each run.
 */
export function selfCheckOf(ctx: LambdaContext): FinishStepDeps['selfCheck'] {
  const { env, config, stores } = ctx;
  const stage = env.STAGE;
  if (!stage) return undefined;
  if (!env.ACCOUNT_ID) throw new RoleWatchError('the self-check needs ACCOUNT_ID');
  const region = env.AWS_REGION ?? 'us-east-1';
  const queues = [
    { name: 'EventsDeadLetterQueue', url: env.EVENTS_DEAD_LETTER_QUEUE_URL },
    { name: 'AssumptionDeadLetterQueue', url: env.ASSUMPTION_DEAD_LETTER_QUEUE_URL },
  ];
  return {
    account: env.ACCOUNT_ID,
    probe: async () => {
      const { createAwsMonitorProbe } = await import('./doctor/AwsMonitorProbe');
      return createAwsMonitorProbe({ region, lastEvents: () => stores.state.lastEvents() });
    },
    target: () => ({
      stage,
      region,
      regions: config.regions.filter((r) => r !== region),
      organization: config.organization !== undefined,
      ...(env.ALERT_TOPIC_ARN ? { alertTopicArn: env.ALERT_TOPIC_ARN } : {}),
      deadLetterQueues: queues.flatMap(({ name, url }) => (url ? [{ name, url }] : [])),
      maxSilenceHours: env.MAX_SILENCE_HOURS ?? 24,
      now: Date.now(),
    }),
  };
}

/** AWS Organizations as a directory of the organization's accounts; the SDK client loads at the first call. */
export async function organizationDirectory(): Promise<OrganizationDirectory> {
  const [{ OrganizationsClient }, { AwsOrganizationDirectory }] = await Promise.all([
    import('@aws-sdk/client-organizations'),
    import('./iam/organization'),
  ]);
  return new AwsOrganizationDirectory(new OrganizationsClient(AWS_CLIENT_OPTIONS));
}

/** The function's name as an STS session name (at most 64 of letters, digits and +=,.@_-). */
function sessionName(functionName: string | undefined): string {
  return (functionName ?? 'rolewatch').replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}
