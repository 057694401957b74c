import type http from 'node:http';
import { HttpError } from '../../lib/graphql/http-server';
import type { GatewayContext } from '../subgraph-data-source';
import { RestError } from '../../lib/http/rest-errors';

/** The gateway's caller check (a Bearer token), its refusals in the REST API's error shape. */
export async function restCaller(context: (req: http.IncomingMessage) => Promise<GatewayContext>, req: http.IncomingMessage): Promise<GatewayContext> {
  try {
    return await context(req);
  } catch (error) {
    if (error instanceof HttpError) {
      const presented = !!req.headers.authorization;
      const code = error.status === 401 ? (presented ? 'OE0235' : 'OE0237') : error.status === 429 ? 'RATE_LIMITED' : 'OE0003';
      throw new RestError(error.status, code, error.status === 401 ? (presented ? 'Unauthorized' : 'This resource requires authorization') : error.message, [], error.headers);
    }
    throw error;
  }
}
