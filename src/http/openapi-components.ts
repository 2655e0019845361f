// Gives every titled schema of the OpenAPI document a name: it moves to components.schemas under
// its title and each use becomes a $ref, so a generated client has an `OrgOAuthAppResponse` type
// instead of anonymous inline shapes. The route schemas stay inline for validation. Also what every
// operation shares and no route states: who needs no credentials, and the refusal before routing.

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keys whose values are schemas (or maps / lists of schemas) inside a schema. */
const SCHEMA_MAPS = ['properties', 'patternProperties'];
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SCHEMA_VALUES = ['items', 'additionalProperties', 'not'];

/** What makes two uses of one title the same schema: everything but what describes the use. */
function shape(schema: JsonObject): string {
  const { description: _description, examples: _examples, example: _example, ...rest } = schema;
  return JSON.stringify(rest);
}

export class SchemaNameConflictError extends Error {
  override name = 'SchemaNameConflictError';
}

export function withNamedSchemas<T extends JsonObject>(document: T): T {
  const doc = structuredClone(document) as JsonObject;
  const components = (isObject(doc.components) ? doc.components : {}) as JsonObject;
  const named = (isObject(components.schemas) ? components.schemas : {}) as JsonObject;
  const shapes = new Map<string, string>();

  function lift(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map(lift);
    if (!isObject(schema) || '$ref' in schema) return schema;
    const out: JsonObject = { ...schema };
    for (const key of SCHEMA_MAPS) {
      if (isObject(out[key])) out[key] = Object.fromEntries(Object.entries(out[key]).map(([k, v]) => [k, lift(v)]));
    }
    for (const key of [...SCHEMA_LISTS, ...SCHEMA_VALUES]) if (key in out && typeof out[key] !== 'boolean') out[key] = lift(out[key]);
    const title = out.title;
    if (typeof title !== 'string' || !/^[A-Za-z0-9._-]+$/.test(title)) return out;
    const seen = shapes.get(title);
    if (seen === undefined) {
      shapes.set(title, shape(out));
      named[title] = out;
    } else if (seen !== shape(out)) {
      // Two different schemas under one title would make one of them wrong in every generated client.
      throw new SchemaNameConflictError(`two different schemas are titled ${title}`);
    }
    return { $ref: `#/components/schemas/${title}` };
  }

  for (const operations of Object.values(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(operations)) continue;
    for (const operation of Object.values(operations)) {
      if (!isObject(operation)) continue;
      const bodies = [operation.requestBody, ...Object.values(isObject(operation.responses) ? operation.responses : {})];
      for (const body of bodies) {
        if (!isObject(body) || !isObject(body.content)) continue;
        for (const media of Object.values(body.content)) {
          if (isObject(media) && media.schema !== undefined) media.schema = lift(media.schema);
        }
      }
    }
  }
  doc.components = { ...components, schemas: Object.fromEntries(Object.entries(named).sort(([a], [b]) => a.localeCompare(b))) };
  return doc as T;
}

/** The error body every operation shares, by the name withNamedSchemas gives it. */
const CSP_ERROR_REF = { $ref: '#/components/schemas/CspErrorResponse' };

/**
 * An operation whose route names no security scheme takes no credentials: `security: []` says so
 * (rather than leaving it unknown). Any request can be refused for oversized headers before it is
 * routed (431, with the CSP body).
 */
export function withCommonResponses<T extends JsonObject>(document: T): T {
  const doc = structuredClone(document) as JsonObject;
  for (const operations of Object.values(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(operations)) continue;
    for (const operation of Object.values(operations)) {
      if (!isObject(operation) || !isObject(operation.responses)) continue;
      if (!('security' in operation)) operation.security = [];
      operation.responses['431'] ??= { description: 'The request headers are too large', content: { 'application/json': { schema: CSP_ERROR_REF } } };
    }
  }
  return doc as T;
}
