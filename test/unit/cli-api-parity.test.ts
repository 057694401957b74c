import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildSchema, isObjectType } from 'graphql';
import YAML from 'yaml';
import { API_EQUIVALENTS, OPERATOR_ONLY } from '../../cli/api-equivalents';
import { buildProgram } from '../../cli/program';

/* Every CLI command has an API operation that does the same, or is the operator's alone. */

const ROOT = path.join(__dirname, '..', '..');
const schema = buildSchema(fs.readFileSync(path.join(ROOT, 'schema', 'api.graphql'), 'utf8'));
const openapi = YAML.parse(fs.readFileSync(path.join(ROOT, 'schema', 'openapi.yaml'), 'utf8')) as { paths: Record<string, Record<string, unknown>> };

/** Leaf commands as typed: `cluster create`, `up`. */
function leaves(command: Command, prefix = ''): string[] {
  return command.commands.flatMap((sub) => {
    const name = `${prefix}${sub.name()}`;
    return sub.commands.length > 0 ? leaves(sub, `${name} `) : [name];
  });
}

function exists(operation: string): boolean {
  const [kind, target] = operation.split(' ');
  if (kind === 'mutation') return !!schema.getMutationType()?.getFields()[target];
  if (kind === 'query') {
    const [typeName, field] = target.split('.');
    const type = schema.getType(typeName);
    return isObjectType(type) && !!type.getFields()[field];
  }
  return !!openapi.paths[target]?.[kind.toLowerCase()];
}

describe('the CLI and the API in step', () => {
  const commands = leaves(buildProgram());

  it('lists every command: operator-only, or with the API operation that does the same', () => {
    expect(commands.length).toBeGreaterThan(10);
    const operator = new Set<string>(OPERATOR_ONLY);
    expect(commands.filter((c) => !operator.has(c) && !(c in API_EQUIVALENTS))).toEqual([]);
    // Nothing listed that the CLI does not have.
    expect([...operator, ...Object.keys(API_EQUIVALENTS)].filter((c) => !commands.includes(c))).toEqual([]);
  });

  it.each(Object.entries(API_EQUIVALENTS))('%s: %s exists in the published API', (_command, operation) => {
    expect(exists(operation)).toBe(true);
  });

  it('docs/api.md names every command beside its operation', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8');
    for (const [command, operation] of Object.entries(API_EQUIVALENTS)) expect(doc).toContain(`| \`costgraph ${command}\` | \`${operation}\` |`);
  });
});
