import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createLambdaReportApi, type HttpApiEvent, handleHttpApiEvent } from '../../shared/api/lambda';
import type { ReportApi } from '../../shared/api/reportApi';

let api: ReportApi | undefined;

/** The reporting API behind API Gateway (HTTP API, payload 2.0, AWS_IAM authorization). */
export const handler = async (event: HttpApiEvent): Promise<APIGatewayProxyStructuredResultV2> => {
  api ??= createLambdaReportApi();
  return handleHttpApiEvent(event, api);
};
