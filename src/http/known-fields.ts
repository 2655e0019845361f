// Tolerant request bodies: members a body schema does not name are removed before validation, so a
// client may send back what it read (read-only fields) or fields a newer CSP knows. Known members
// are still validated as strictly as before. Only names are logged, never values.
import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}

const MAX_LOGGED_NAMES = 20;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The branch of a union that describes `value` (the object or array form of an optional field). */
function branchFor(schema: SchemaNode, value: unknown): SchemaNode | undefined {
  if (!schema.anyOf) return schema;
  const wanted = Array.isArray(value) ? 'array' : isPlainObject(value) ? 'object' : undefined;
  return wanted ? schema.anyOf.find((branch) => branch.type === wanted) : undefined;
}

/**
 * Deletes, in place, every member of `value` that `schema` does not name, at any depth, and returns
 * their paths. Own names are compared with own schema properties only: `constructor` or `toString`
 * in a body never matches something inherited.
 */
export function dropUnknownMembers(schema: object, value: unknown, path = ''): string[] {
  const node = branchFor(schema as SchemaNode, value);
  if (!node) return [];
  const dropped: string[] = [];
  if (node.type === 'object' && isPlainObject(value) && node.properties) {
    for (const name of Object.keys(value)) {
      const child = Object.hasOwn(node.properties, name) ? node.properties[name] : undefined;
      if (child) dropped.push(...dropUnknownMembers(child, value[name], `${path}${name}.`));
      else {
        delete value[name];
        dropped.push(`${path}${name}`);
      }
    }
  } else if (node.type === 'array' && Array.isArray(value) && node.items) {
    for (const item of value) dropped.push(...dropUnknownMembers(node.items, item, `${path.slice(0, -1)}[].`));
  }
  return dropped;
}

/** A route's preValidation hook that drops the members `bodySchema` does not name, logging their names at debug. */
export function ignoreUnknownMembers(bodySchema: object): preValidationAsyncHookHandler {
  return async function ignoreUnknown(request: FastifyRequest): Promise<void> {
    const dropped = dropUnknownMembers(bodySchema, request.body);
    if (dropped.length > 0) {
      request.log.debug({ ignoredFields: dropped.slice(0, MAX_LOGGED_NAMES).map(printableName) }, 'ignored read-only or unknown request fields');
    }
  };
}

function printableName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}
