import { Logger } from '@aws-lambda-powertools/logger';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { loadEnvironment, securityHubExporter, storesOf } from '../context';
import { DynamoReportStore } from '../store/dynamo/DynamoReportStore';
import { createReportApi, type ReportApi } from './reportApi';
import { type ApiRequest, queryOf } from './router';

/** An HTTP API (payload format 2.0) event, with the AWS_IAM authorizer's context when deployed. */
export type HttpApiEvent = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithIAMAuthorizer;

/**
 * The reporting API as the report-api function runs it: DynamoDB stores from the validated environment
 * (no alert topic), Powertools logger. Built once per container by the handler.
 */
export function createLambdaReportApi(env: Record<string, string | undefined> = process.env): ReportApi {
  const environment = loadEnvironment(env, { alerts: false });
  const stores = storesOf(environment);
  const logger = new Logger({ serviceName: 'rolewatch' });
  return createReportApi({
    reports: new DynamoReportStore(stores, { accounts: environment.config.knownAccounts }),
    findings: stores.findings,
    logger: { error: (message, details) => logger.error(message, details) },
    access: { knownAccounts: environment.config.knownAccounts, thirdParties: environment.config.trustedThirdParties },
    ...optional('exporter', securityHubExporter(environment, 'rolewatch-report-api')),
  });
}

/** Answers an API Gateway HTTP API event. */
export async function handleHttpApiEvent(event: HttpApiEvent, api: ReportApi): Promise<APIGatewayProxyStructuredResultV2> {
  const request = requestOf(event);
  const response = await api.handle(request);
  return { statusCode: response.status, headers: response.headers, body: response.body, isBase64Encoded: false };
}

/** The API request an HTTP API event carries. The caller is the IAM principal API Gateway authenticated. */
export function requestOf(event: HttpApiEvent): ApiRequest {
  const iam = 'authorizer' in event.requestContext ? event.requestContext.authorizer?.iam : undefined;
  const body =
    event.body === undefined
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: queryOf(new URLSearchParams(event.rawQueryString)),
    headers: Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    ...(body !== undefined ? { body } : {}),
    caller: iam?.userArn || iam?.callerId || 'unknown',
    requestId: event.requestContext.requestId,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
