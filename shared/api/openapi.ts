import { z } from 'zod';
import type { Route } from './router';
import { assumptionView, errorView, findingView, historyView, roleListView, roleView, summaryView } from './schemas';

/** Schemas shown once under components and referred to everywhere else. */
const NAMED: [z.ZodType, string][] = [
  [findingView, 'Finding'],
  [roleListView, 'RoleListing'],
  [roleView, 'Role'],
  [historyView, 'HistoryEntry'],
  [assumptionView, 'Assumption'],
  [summaryView, 'Summary'],
  [errorView, 'Error'],
];

const ERRORS = {
  '400': 'Invalid input: `error.field` names it, `error.reason` says why',
  '404': 'No such resource or route',
  '405': 'The path exists with other methods (see the `allow` header)',
  '500': 'Internal error: `error.requestId` finds it in the logs',
};

/**
 * The OpenAPI 3.1 document of the routes, generated from the same zod schemas that validate requests
 * (zod's JSON Schema output is JSON Schema 2020-12, which OpenAPI 3.1 uses as it is).
 */
export function buildOpenApi(routes: readonly Route[]): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of NAMED) registry.add(schema, { id });
  for (const route of routes) {
    if (!registry.has(route.doc.response))
      registry.add(route.doc.response, { id: `${capitalise(route.doc.operationId)}Response` });
  }
  const generated = z.toJSONSchema(registry, {
    uri: (id) => `#/components/schemas/${id}`,
    io: 'output',
    unrepresentable: 'any',
  });
  const schemas = Object.fromEntries(Object.entries(generated.schemas).map(([id, schema]) => [id, withoutMeta(schema)]));

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const { doc } = route;
    const responseId = registry.get(doc.response)?.id ?? '';
    const ok = { schema: { $ref: `#/components/schemas/${responseId}` } };
    paths[route.path] ??= {};
    const operations = paths[route.path] ?? {};
    operations[route.method.toLowerCase()] = {
      operationId: doc.operationId,
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      tags: [doc.tag],
      parameters: [...parameters(doc.params, 'path'), ...parameters(doc.query, 'query')],
      ...(doc.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: inputSchema(doc.body) } } } }
        : {}),
      responses: {
        '200': {
          description: 'OK',
          ...(doc.list
            ? {
                headers: {
                  'x-next-cursor': { description: 'CSV only: the cursor of the next page', schema: { type: 'string' } },
                },
              }
            : {}),
          content: {
            'application/json': ok,
            ...(doc.list ? { 'text/csv': { schema: { type: 'string', description: 'RFC 4180, header row first' } } } : {}),
          },
        },
        ...Object.fromEntries(
          Object.entries(ERRORS).map(([status, description]) => [
            status,
            { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          ]),
        ),
      },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'RoleWatch reporting API',
      version: '1',
      description:
        'What is risky now, what changed, who assumed what. Lists page with opaque cursors bound to their filters, ' +
        'and answer CSV on `Accept: text/csv`.',
    },
    security: [{ sigv4: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4: API Gateway AWS_IAM authorization (none on the local server)',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}

function parameters(schema: z.ZodObject, where: 'path' | 'query'): Record<string, unknown>[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const json = inputSchema(field);
    const description = typeof json.description === 'string' ? json.description : undefined;
    return {
      name,
      in: where,
      required: where === 'path' || !field.safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: json,
    };
  });
}

function inputSchema(schema: z.ZodType): Record<string, unknown> {
  return withoutMeta(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));
}

function withoutMeta(schema: object): Record<string, unknown> {
  const { $schema: _schema, $id: _id, ...rest } = schema as Record<string, unknown>;
  return rest;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
