import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, printSchema } from 'graphql';

export const SCHEMA_DIR = path.join(__dirname, '..', '..', 'schema');
export const SUPERGRAPH_FILE = path.join(SCHEMA_DIR, 'supergraph.graphql');
export const API_SCHEMA_FILE = path.join(SCHEMA_DIR, 'api.graphql');

/**
 * The subgraphs and the URLs baked into the committed supergraph: the local defaults of
 * DESIGN.md. A deployed gateway overrides them per subgraph (EXPENSES_URL, KUBECOST_URL), so
 * the composed artifact stays environment-independent.
 */
export const SUBGRAPHS = [
  { name: 'expenses', file: 'expenses.graphql', url: 'http://127.0.0.1:4001/graphql' },
  { name: 'kubecost', file: 'kubecost.graphql', url: 'http://127.0.0.1:4002/graphql' },
] as const;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];

export class CompositionError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`composition failed: ${errors.join('; ')}`);
    this.name = 'CompositionError';
  }
}

export interface ComposedSchemas {
  /** What the gateway plans queries with (join/link directives included). */
  supergraph: string;
  /** What clients see: the supergraph minus federation machinery; codegen reads this. */
  api: string;
}

/** Composes the subgraph SDL files in `schemaDir` the way the gateway will run them. */
export function composeSchemas(schemaDir = SCHEMA_DIR): ComposedSchemas {
  const result = composeServices(
    SUBGRAPHS.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(fs.readFileSync(path.join(schemaDir, s.file), 'utf8')) })),
  );
  if (result.errors) throw new CompositionError(result.errors.map((e) => e.message));
  return {
    supergraph: ensureNewline(result.supergraphSdl),
    api: ensureNewline(printSchema(result.schema.toAPISchema().toGraphQLJSSchema())),
  };
}

/** Writes both artifacts; returns the files that changed. */
export function writeComposedSchemas(schemaDir = SCHEMA_DIR): string[] {
  const composed = composeSchemas(schemaDir);
  const changed: string[] = [];
  for (const [file, text] of [
    [path.join(schemaDir, 'supergraph.graphql'), composed.supergraph],
    [path.join(schemaDir, 'api.graphql'), composed.api],
  ] as const) {
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (current === text) continue;
    // Write-then-rename: a gateway watching the file never reads half of it.
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
    changed.push(file);
  }
  return changed;
}

const ensureNewline = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
