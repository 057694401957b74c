import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

/*
 * Checks live REST answers against the committed OpenAPI document: the response declared for
 * the path, method and status must exist, and the body must match its JSON schema (ajv, the
 * 2020-12 dialect OpenAPI 3.1 uses). Records what was checked, so a suite can tell whether it
 * covered every declared response.
 */

export const OPENAPI_FILE = path.join(__dirname, '..', '..', 'schema', 'openapi.yaml');

interface Operation {
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export class OpenApiContract {
  readonly document: OpenApiDocument;
  readonly checked = new Set<string>();
  private readonly ajv: Ajv2020;

  constructor(file = OPENAPI_FILE) {
    this.document = YAML.parse(fs.readFileSync(file, 'utf8')) as OpenApiDocument;
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema(this.document as object, 'openapi');
  }

  /** The document's path template that `pathname` matches. */
  template(pathname: string): string {
    const found = Object.keys(this.document.paths).find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname));
    if (!found) throw new Error(`${pathname}: no path of the OpenAPI document matches`);
    return found;
  }

  /** Throws, naming every mismatch, unless `body` is what the document declares for this answer. */
  check(method: string, pathname: string, status: number, body: unknown): void {
    const template = this.template(pathname);
    const operation = this.document.paths[template][method.toLowerCase()];
    if (!operation) {
      // A method the path does not have: 405 in the error shape (the document's description says so).
      if (status !== 405) throw new Error(`${method} ${template}: not in the OpenAPI document, answered ${status} instead of 405`);
      this.validate(`${method} ${template} 405`, 'openapi#/components/schemas/Error', body);
      return;
    }
    const declared = operation.responses[String(status)];
    if (!declared) throw new Error(`${method} ${template}: status ${status} is not declared`);
    let schemaAt = pointer('paths', template, method.toLowerCase(), 'responses', String(status));
    let response = declared;
    if (declared.$ref) {
      const name = declared.$ref.replace('#/components/responses/', '');
      response = this.document.components.responses[name];
      schemaAt = pointer('components', 'responses', name);
    }
    if (!response.content?.['application/json']) throw new Error(`${method} ${template} ${status}: no JSON body declared`);
    this.validate(`${method.toUpperCase()} ${template} ${status}`, `openapi#/${schemaAt}/content/application~1json/schema`, body);
  }

  private validate(answer: string, schemaRef: string, body: unknown): void {
    const validate = this.ajv.getSchema(schemaRef);
    if (!validate) throw new Error(`${answer}: schema ${schemaRef} not found`);
    if (!validate(body)) throw new Error(`${answer}: ${this.ajv.errorsText(validate.errors, { separator: '; ' })}\n${JSON.stringify(body).slice(0, 500)}`);
    this.checked.add(answer);
  }
}
