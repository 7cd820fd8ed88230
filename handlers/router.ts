/**
 * Request paths → routes. A route declares its method and its path, parameters by name (`/api/runs/:id/output`);
 * the request's path is split and percent-decoded once, then compared once with each route's path. What a route
 * does (its handler, whether it needs a token) is the server's business: the router only matches.
 */
import { ApiError, notFound } from '../core/apiError';
import { clipped, decodeSegment } from './http';

/** `'/api/runs/:id/output'` → `'id'`. */
type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}` ? Name | ParamNames<Rest> : P extends `${string}:${infer Name}` ? Name : never;

/** The decoded parameters a route path declares: `Params<'/api/runs/:id'>` is `{ id: string }`. */
export type Params<P extends string> = { readonly [K in ParamNames<P>]: string };

export interface RoutePattern {
  readonly method: string;
  /** One path or several served alike (the page: `/` and `/index.html`); `:name` segments are parameters. */
  readonly path: string | readonly string[];
}

export interface RouteMatch<R> {
  route: R;
  params: Record<string, string>;
}

type Segment = { literal: string } | { param: string };

/** Methods every path answers besides its routes' own: OPTIONS is the CORS preflight, served before routing. */
const ALWAYS_ALLOWED = ['OPTIONS'];

export class Router<R extends RoutePattern> {
  private readonly table: Array<{ route: R; segments: Segment[] }> = [];

  constructor(routes: readonly R[]) {
    const seen = new Set<string>();
    for (const route of routes) {
      for (const path of typeof route.path === 'string' ? [route.path] : route.path) {
        if (!path.startsWith('/')) throw new Error(`route path ${path} must start with "/"`);
        const segments: Segment[] = path
          .slice(1)
          .split('/')
          .map((s) => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s }));
        // Parameters match any segment: two routes differing only in their parameters' names are one path.
        const shape = `${route.method} /${segments.map((s) => ('param' in s ? ':' : s.literal)).join('/')}`;
        if (seen.has(shape)) throw new Error(`two routes for ${shape}`);
        seen.add(shape);
        this.table.push({ route, segments });
      }
    }
  }

  /**
   * The route for `method` on `pathname`, with its parameters decoded. 404 when no route has this path, or when
   * a segment does not decode (`%ZZ`, cut UTF-8: such a path names nothing); 405 naming the methods that path
   * does allow (the `allow` header) when it exists for other methods only.
   */
  match(method: string, pathname: string): RouteMatch<R> {
    const missing = () => notFound(`route ${clipped(pathname)}`);
    if (!pathname.startsWith('/')) throw missing();
    const raw = pathname.slice(1).split('/');
    const decoded = raw.map((s) => decodeSegment(s, pathname));
    const allowed = new Set<string>();
    for (const { route, segments } of this.table) {
      const params = fit(segments, raw, decoded);
      if (!params) continue;
      if (route.method === method) return { route, params };
      allowed.add(route.method);
    }
    if (allowed.size === 0) throw missing();
    const allow = [...allowed, ...ALWAYS_ALLOWED].join(', ');
    throw new ApiError(405, 'method_not_allowed', `method: ${clipped(method)} is not allowed on ${clipped(pathname)} (allowed: ${allow})`, { allow });
  }
}

/**
 * The parameters if the path has the route's shape, else null. Literal segments are compared as sent
 * (`/%61pi/health` is not `/api/health`, as before routes had names); a parameter is any non-empty segment, decoded.
 */
function fit(segments: readonly Segment[], raw: readonly string[], decoded: readonly string[]): Record<string, string> | null {
  if (segments.length !== raw.length) return null;
  const params: Record<string, string> = {};
  for (const [i, s] of segments.entries()) {
    if ('literal' in s) {
      if (s.literal !== raw[i]) return null;
    } else {
      if (raw[i] === '') return null;
      params[s.param] = decoded[i];
    }
  }
  return params;
}
