import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, isSpecifiedScalarType, parse, validate } from 'graphql';
import { breakingChanges, unaccepted } from '../../gateway/supergraph/breaking-changes';
import { API_SCHEMA_FILE, composeSchemas, SCHEMA_DIR, SUPERGRAPH_FILE } from '../../gateway/supergraph/compose';

const ROOT = path.join(SCHEMA_DIR, '..');
const read = (file: string) => fs.readFileSync(file, 'utf8');
// The dashboard's operations, and the REST endpoints' (operations/rest/).
const OPERATIONS = fs
  .readdirSync(path.join(SCHEMA_DIR, 'operations'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.graphql'));

describe('schema artifacts', () => {
  it('committed supergraph.graphql and api.graphql equal a fresh composition (run `costgraph compose`)', () => {
    const fresh = composeSchemas();
    expect(read(SUPERGRAPH_FILE)).toBe(fresh.supergraph);
    expect(read(API_SCHEMA_FILE)).toBe(fresh.api);
  });

  it('describes every type, field, argument and enum value of the API schema', () => {
    const schema = buildSchema(read(API_SCHEMA_FILE));
    const undescribed: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
      if (!type.description) undescribed.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) undescribed.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) if (!arg.description) undescribed.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isEnumType(type)) for (const value of type.getValues()) if (!value.description) undescribed.push(`${type.name}.${value.name}`);
    }
    expect(undescribed).toEqual([]);
  });

  it('the API schema hides federation machinery', () => {
    const api = read(API_SCHEMA_FILE);
    expect(api).not.toMatch(/@join__|_entities|_service|link__/);
    expect(api).toMatch(/costSummary\(\s*"""[^"]*"""\s*range: DateRangeInput!\s*\): CostSummary!/);
  });

  it.each(OPERATIONS)('operation %s validates against api.graphql', (file) => {
    const errors = validate(buildSchema(read(API_SCHEMA_FILE)), parse(read(path.join(SCHEMA_DIR, 'operations', file))));
    expect(errors.map((e) => e.message)).toEqual([]);
  });

  it('has the operations a dashboard needs', () => {
    expect(OPERATIONS).toEqual(expect.arrayContaining(['Headline.graphql', 'ExpensesTable.graphql', 'ClusterDetail.graphql', 'CreateKubernetesCluster.graphql']));
  });

  it('the generated client equals a fresh codegen run, and the client using it type-checks', async () => {
    // In a child process: codegen's plugins load ES modules that jest's CommonJS runtime cannot.
    const codegen = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, 'clients', 'codegen.ts'), '--print'], { encoding: 'utf8', cwd: ROOT });
    expect(codegen.stderr).toBe('');
    expect(read(path.join(ROOT, 'clients', 'typescript', 'graphql.ts'))).toBe(codegen.stdout);
    const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', path.join(ROOT, 'clients', 'tsconfig.json')], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 60_000);

  it('graphql-inspector flags removals and type changes as breaking, additions not', async () => {
    const before = 'type Query { a: Int!, b: String }';
    expect(await breakingChanges(before, 'type Query { a: Int!, b: String, c: Int }')).toEqual([]);
    expect((await breakingChanges(before, 'type Query { a: Int! }')).map((c) => c.path)).toEqual(['Query.b']);
    expect((await breakingChanges(before, 'type Query { a: Int, b: String }')).map((c) => c.path)).toEqual(['Query.a']);
    const changes = await breakingChanges(before, 'type Query { a: Int, b: String }');
    expect(unaccepted(changes, 'Loosen a\n\nBreaking-Change-Accepted: a can be null now', '')).toEqual([]);
    expect(unaccepted(changes, 'Loosen a', 'Query.a # deliberate')).toEqual([]);
    expect(unaccepted(changes, 'Loosen a', '')).toHaveLength(1);
  });

  it('api.graphql has no unaccepted breaking change against the previous commit', async () => {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const rel = path.relative(ROOT, API_SCHEMA_FILE);
    // Uncommitted edits are checked against HEAD; a clean checkout checks HEAD against its parent.
    const dirty = git('status', '--porcelain', '--', rel).trim() !== '';
    const base = dirty ? 'HEAD' : 'HEAD~1';
    let previous: string;
    try {
      previous = git('show', `${base}:${rel}`);
    } catch {
      // Nothing to compare with. Only a parent commit that exists and lacks the file (the
      // schema's first commit) is a real reason; a clone without the parent (shallow, or no
      // history) would skip the check, which CI must not do.
      const baseExists = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${base}^{commit}`], { cwd: ROOT }).status === 0;
      const shallow = git('rev-parse', '--is-shallow-repository').trim() === 'true';
      if (process.env.CI === 'true' && !baseExists) {
        throw new Error(`no ${base} to compare api.graphql with (shallow clone: ${shallow}); CI needs the parent commit, e.g. a clone with fetch depth 2 or more`);
      }
      expect(spawnSync('git', ['cat-file', '-e', `${base}:${rel}`], { cwd: ROOT }).status).not.toBe(0);
      process.stderr.write(`NOTE: no ${base}:${rel} to compare with (${baseExists ? 'the schema\'s first commit' : `no ${base} in this clone`}); breaking-change check had no baseline\n`);
      return;
    }
    const message = dirty ? '' : git('log', '-1', '--format=%B');
    const acceptedFile = read(path.join(SCHEMA_DIR, 'accepted-breaking-changes.txt'));
    expect(unaccepted(await breakingChanges(previous, read(API_SCHEMA_FILE)), message, acceptedFile)).toEqual([]);
  });
});
