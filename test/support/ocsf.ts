import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';

/**
 * Validates records against OCSF Detection Finding (class 2004) as the vendored extract of the official schema
 * files describes it (test/fixtures/schemas/ocsf): every attribute the class chain (base_event → finding →
 * detection_finding) and the objects define is allowed and no other, every attribute they mark required is
 * required, enumerated ids take only their listed values, and the values have the dictionary's types.
 */

interface Attribute {
  requirement?: string;
  enum?: string[];
}
interface Definition {
  extends?: string;
  attributes: Record<string, Attribute>;
  constraints?: { at_least_one?: string[] };
}
interface Subset {
  classes: Record<string, Definition>;
  objects: Record<string, Definition>;
}

const SUBSET = JSON.parse(
  readFileSync(path.resolve(__dirname, '../fixtures/schemas/ocsf/ocsf-detection-finding-subset.json'), 'utf8'),
) as Subset;

/**
 * Types of the attributes used, from the OCSF dictionary (dictionary.json): integer_t, long_t/timestamp_t
 * (epoch milliseconds), string_t, and the object types. An attribute not listed here may hold anything.
 */
const INTEGER = ['activity_id', 'category_uid', 'class_uid', 'severity_id', 'status_id', 'count', 'type_id', 'confidence_id'];
const LONG = ['type_uid', 'time', 'start_time', 'end_time', 'created_time', 'first_seen_time', 'last_seen_time', 'modified_time'];
const STRING = [
  'activity_name',
  'category_name',
  'class_name',
  'type_name',
  'severity',
  'status',
  'status_detail',
  'message',
  'uid',
  'name',
  'title',
  'desc',
  'version',
  'provider',
  'region',
  'type',
  'cloud_partition',
  'src_url',
  'log_name',
  'log_provider',
];
const STRING_ARRAYS = ['types', 'profiles', 'labels'];
/** Object-typed attributes and the object they hold; arrays of objects are marked []. */
const OBJECTS: Record<string, string> = {
  metadata: 'metadata',
  product: 'product',
  finding_info: 'finding_info',
  resources: 'resource_details[]',
  remediation: 'remediation',
  cloud: 'cloud',
  account: 'account',
  attacks: 'attack[]',
  technique: 'technique',
  sub_technique: 'sub_technique',
};
/** The severity_id values of the dictionary (0 Unknown ... 6 Fatal, 99 Other). */
const SEVERITY_IDS = [0, 1, 2, 3, 4, 5, 6, 99];

function chain(definitions: Record<string, Definition>, name: string): Record<string, Attribute> {
  const definition = definitions[name] ?? SUBSET.objects[name];
  if (!definition) throw new Error(`no OCSF definition ${name}`);
  const parent = definition.extends ? chain(definitions, definition.extends) : {};
  const merged: Record<string, Attribute> = { ...parent };
  for (const [key, attribute] of Object.entries(definition.attributes)) {
    const before = merged[key];
    merged[key] = {
      ...before,
      ...attribute,
      ...(before?.enum || attribute.enum ? { enum: [...new Set([...(before?.enum ?? []), ...(attribute.enum ?? [])])] } : {}),
    };
  }
  return merged;
}

function typeOf(key: string): Record<string, unknown> {
  if (INTEGER.includes(key)) return { type: 'integer' };
  if (LONG.includes(key)) return { type: 'integer', minimum: 0 };
  if (STRING.includes(key)) return { type: 'string' };
  if (STRING_ARRAYS.includes(key)) return { type: 'array', items: { type: 'string' } };
  const object = OBJECTS[key];
  if (object?.endsWith('[]')) return { type: 'array', items: { $ref: `#/definitions/${object.slice(0, -2)}` } };
  if (object) return { $ref: `#/definitions/${object}` };
  return {};
}

function schemaOf(attributes: Record<string, Attribute>, constraints?: Definition['constraints']): Record<string, unknown> {
  const properties = Object.fromEntries(
    Object.entries(attributes).map(([key, attribute]) => {
      const base = key === 'severity_id' ? { type: 'integer', enum: SEVERITY_IDS } : typeOf(key);
      // Every enumerated id of OCSF also takes 0 (Unknown) and 99 (Other).
      const values = attribute.enum ? [...new Set([0, 99, ...attribute.enum.map(Number)])] : undefined;
      return [key, values ? { ...base, enum: values } : base];
    }),
  );
  const required = Object.entries(attributes)
    .filter(([, attribute]) => attribute.requirement === 'required')
    .map(([key]) => key);
  return {
    type: 'object',
    properties,
    additionalProperties: false,
    ...(required.length > 0 ? { required } : {}),
    ...(constraints?.at_least_one ? { anyOf: constraints.at_least_one.map((key) => ({ required: [key] })) } : {}),
  };
}

/** The JSON schema of a Detection Finding record built from the vendored extract. */
export function detectionFindingSchema(): Record<string, unknown> {
  const classAttributes = chain(SUBSET.classes, 'detection_finding');
  const top = schemaOf(classAttributes);
  const properties = top.properties as Record<string, unknown>;
  // The cloud profile (profiles/cloud.json, included by base_event) adds `cloud`, required when the profile applies.
  properties.cloud = { $ref: '#/definitions/cloud' };
  properties.unmapped = { type: 'object' };
  return {
    ...top,
    required: [...(top.required as string[]), 'cloud'],
    properties: {
      ...properties,
      class_uid: { type: 'integer', const: 2004 },
      category_uid: { type: 'integer', const: 2 },
    },
    definitions: Object.fromEntries(
      Object.keys(SUBSET.objects)
        .filter((name) => !name.startsWith('_'))
        .map((name) => [name, schemaOf(chain(SUBSET.objects, name), SUBSET.objects[name]?.constraints)]),
    ),
  };
}

let validate: ReturnType<Ajv['compile']> | undefined;

/** The problems of a record as an OCSF Detection Finding; [] when it is one. type_uid must be class_uid * 100 + activity_id. */
export function ocsfErrors(record: unknown): (ErrorObject | string)[] {
  validate ??= new Ajv({ allErrors: true, strict: false }).compile(detectionFindingSchema());
  const errors: (ErrorObject | string)[] = validate(record) ? [] : [...(validate.errors ?? [])];
  const event = record as { type_uid?: unknown; class_uid?: unknown; activity_id?: unknown };
  if (
    typeof event.activity_id === 'number' &&
    typeof event.class_uid === 'number' &&
    event.type_uid !== event.class_uid * 100 + event.activity_id
  ) {
    errors.push('type_uid is not class_uid * 100 + activity_id');
  }
  return errors;
}
