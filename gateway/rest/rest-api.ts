import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { ApolloServer } from '@apollo/server';
import { isId } from '../../lib/accounts/ids';
import type { Logger } from '../../lib/log';
import type { GatewayContext } from '../subgraph-data-source';
import { cleanExpensesBody, clusterCostsBody, metricsBody, savingsBody, type GraphQLAnswer } from './bodies';
import { restCaller } from './rest-caller';
import { RestError, sendRestError } from '../../lib/http/rest-errors';

/*
 * The seed's REST endpoints (OptScale's REST API and Metroculus), for the clients that already
 * call them. Each one is a persisted GraphQL operation (schema/operations/rest/) run through the
 * gateway's own pipeline: the same token check, limits, signed context to the subgraphs and
 * partial answers. Nothing here reads a database.
 */

const OPERATIONS_DIR = path.join(__dirname, '..', '..', 'schema', 'operations', 'rest');
const operation = (name: string) => fs.readFileSync(path.join(OPERATIONS_DIR, `${name}.graphql`), 'utf8');

const CLEAN_EXPENSES = /^\/restapi\/v2\/organizations\/([^/]+)\/clean_expenses$/;
const METROCULUS = /^\/metroculus\/v2\/(kubecost_cluster_costs|kubecost_metrics|kubecost_savings)$/;

/** The API's shortest range, one minute (DateRangeInput), in the seconds the REST API takes. */
const MIN_RANGE_SECONDS = 60;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;
const STEPS: Record<string, 'HOUR' | 'DAY'> = { '3600': 'HOUR', '86400': 'DAY' };

export interface RestApiOptions {
  apollo: ApolloServer<GatewayContext>;
  /** The gateway's own caller check (a Bearer token); throws HttpError (401, 429, 503). */
  context(req: http.IncomingMessage): Promise<GatewayContext>;
  logger: Logger;
}

/** Unix seconds of a query parameter, required and whole. */
function seconds(params: URLSearchParams, name: string): number {
  const text = params.get(name);
  if (text === null || text === '') throw new RestError(400, 'OE0216', `${name} is not provided`, [name]);
  if (!/^\d{1,11}$/.test(text)) throw new RestError(400, 'OE0223', `${name} should be an integer (seconds since 1970)`, [name]);
  return Number(text);
}

/** `[start_date, end_date + 1 s)`: the API includes the end second, as OptScale does. */
function rangeOf(params: URLSearchParams): { from: string; to: string; start: number; end: number } {
  const start = seconds(params, 'start_date');
  const end = seconds(params, 'end_date');
  if (end < start) throw new RestError(400, 'OE0446', 'end_date should be greater than start_date', ['end_date', 'start_date']);
  if (end + 1 - start < MIN_RANGE_SECONDS) throw new RestError(400, 'OE0224', `the range from start_date to end_date must be at least ${MIN_RANGE_SECONDS} seconds`, ['end_date']);
  return { from: new Date(start * 1000).toISOString(), to: new Date((end + 1) * 1000).toISOString(), start, end };
}

function optionalList(params: URLSearchParams, name: string): string[] | undefined {
  const values = params.getAll(name).filter((v) => v !== '');
  return values.length > 0 ? values : undefined;
}

export function createRestApi({ apollo, context, logger }: RestApiOptions) {
  const documents = {
    cleanExpenses: operation('RestCleanExpenses'),
    clusterCosts: operation('RestKubecostClusterCosts'),
    metrics: operation('RestKubecostMetrics'),
    savings: operation('RestKubecostSavings'),
  };

  async function run(req: http.IncomingMessage, query: string, variables: Record<string, unknown>): Promise<GraphQLAnswer> {
    const contextValue = await restCaller(context, req);
    const response = await apollo.executeOperation({ query, variables }, { contextValue });
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not used');
    return response.body.singleResult as GraphQLAnswer;
  }

  async function answer(req: http.IncomingMessage, url: URL): Promise<unknown> {
    const clean = CLEAN_EXPENSES.exec(url.pathname);
    const params = url.searchParams;
    if (clean) {
      const organizationId = decodeURIComponent(clean[1]);
      const range = rangeOf(params);
      const limitText = params.get('limit');
      if (limitText !== null && !/^\d{1,4}$/.test(limitText)) throw new RestError(400, 'OE0223', 'limit should be an integer', ['limit']);
      const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
      if (limit < 1 || limit > MAX_LIMIT) throw new RestError(400, 'OE0224', `limit must be between 1 and ${MAX_LIMIT}`, ['limit']);
      const shown = organizationId.slice(0, 100);
      if (!isId(organizationId)) throw new RestError(404, 'OE0002', `Organization ${shown} not found`, ['Organization', shown]);
      const filter = {
        cloudAccountIds: optionalList(params, 'cloud_account_id'),
        services: optionalList(params, 'service_name'),
        regions: optionalList(params, 'region'),
        resourceTypes: optionalList(params, 'resource_type'),
      };
      const filtered = Object.values(filter).some((v) => v !== undefined);
      const result = await run(req, documents.cleanExpenses, { org: organizationId, range: { from: range.from, to: range.to }, filter, limit });
      return cleanExpensesBody(result, { organizationId, start: range.start, end: range.end, limit, filtered });
    }
    const metroculus = METROCULUS.exec(url.pathname);
    if (!metroculus) return undefined;
    const id = params.get('cloud_account_id');
    if (id === null || id === '') throw new RestError(400, 'OE0216', 'cloud_account_id is not provided', ['cloud_account_id']);
    const range = rangeOf(params);
    const common = { cloudAccountId: id, start: range.start, end: range.end };
    const shown = id.slice(0, 100);
    if (!isId(id)) throw new RestError(404, 'OE0002', `Cloud account ${shown} not found`, ['Cloud account', shown]);
    const variables = { id, range: { from: range.from, to: range.to } };
    switch (metroculus[1]) {
      case 'kubecost_cluster_costs':
        return clusterCostsBody(await run(req, documents.clusterCosts, variables), common);
      case 'kubecost_metrics': {
        const stepText = params.get('step') ?? '3600';
        const step = STEPS[stepText];
        if (!step) throw new RestError(400, 'OE0217', 'Invalid step: 3600 (hourly) or 86400 (daily) seconds', ['step']);
        return metricsBody(await run(req, documents.metrics, { ...variables, step }), { ...common, step: Number(stepText) });
      }
      default:
        return savingsBody(await run(req, documents.savings, variables), common);
    }
  }

  /** Answers the REST paths; false for every other path. */
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!CLEAN_EXPENSES.test(url.pathname) && !METROCULUS.test(url.pathname)) return false;
    try {
      if (req.method !== 'GET') throw new RestError(405, 'OE0005', 'Method not allowed: use GET', [], { Allow: 'GET' });
      const body = await answer(req, url);
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
    } catch (error) {
      if (!(error instanceof RestError)) logger.error({ err: error, path: url.pathname }, 'REST request failed');
      sendRestError(res, error);
    }
    return true;
  };
}
