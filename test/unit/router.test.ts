/** The router on its own: named parameters, decoding once, 404 for paths that name nothing, 405 with `allow`. */
import { ApiError } from '../../core/apiError';
import { Router } from '../../handlers/router';

const router = new Router([
  { method: 'GET', path: ['/', '/index.html'], name: 'page' },
  { method: 'POST', path: '/', name: 'seed' },
  { method: 'GET', path: '/api/health', name: 'health' },
  { method: 'POST', path: '/api/runs', name: 'create' },
  { method: 'GET', path: '/api/runs/:id', name: 'info' },
  { method: 'GET', path: '/api/runs/:id/output', name: 'output' },
  { method: 'POST', path: '/api/runs/:id/input', name: 'input' },
  { method: 'POST', path: '/api/runs/:id/kill', name: 'kill' },
]);

function errorOf(method: string, path: string): ApiError {
  try {
    router.match(method, path);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error(`${method} ${path} matched`);
}

test.each<[string, string, string, Record<string, string>]>([
  ['GET', '/', 'page', {}],
  ['GET', '/index.html', 'page', {}],
  ['POST', '/', 'seed', {}],
  ['GET', '/api/health', 'health', {}],
  ['POST', '/api/runs', 'create', {}],
  ['GET', '/api/runs/AAAA', 'info', { id: 'AAAA' }],
  ['GET', '/api/runs/AAAA/output', 'output', { id: 'AAAA' }],
  ['POST', '/api/runs/AAAA/kill', 'kill', { id: 'AAAA' }],
  // Parameters are decoded (and then judged by whoever uses them: a malformed run id is the service's 404).
  ['GET', '/api/runs/..%2F..%2Fetc/output', 'output', { id: '../../etc' }],
  ['GET', '/api/runs/%E4%BD%A0', 'info', { id: '你' }],
  ['GET', '/api/runs/%25ZZ', 'info', { id: '%ZZ' }],
])('%s %s is %s with %j', (method, path, name, params) => {
  const match = router.match(method, path);
  expect(match.route.name).toBe(name);
  expect(match.params).toEqual(params);
});

test.each<[string, string]>([
  ['GET', '/api/nothing'],
  ['GET', '/api/health/'],
  ['GET', '/api//health'],
  ['GET', '/api/runs//output'],
  ['GET', '/api/runs/AAAA/output/'],
  ['GET', '/api/runs/AAAA/output/more'],
  ['GET', '/%61pi/health'],
  ['GET', '/API/health'],
  ['GET', ''],
  ['GET', 'api/health'],
  // Segments that do not decode name nothing, wherever they are, whatever the method.
  ['GET', '/api/runs/%ZZ/output'],
  ['POST', '/api/runs/%ZZ'],
  ['DELETE', '/api/runs/%ZZ'],
  ['GET', '/api/runs/%E0%A4%A/output'],
  ['GET', '/api/runs/%ED%A0%80'],
  ['GET', '/api/runs/%C0%AF/output'],
  ['GET', '/api/runs/abc%'],
  ['GET', '/%ZZ/api/health'],
])('%s %s: 404 not_found naming the path', (method, path) => {
  const err = errorOf(method, path);
  expect(err.status).toBe(404);
  expect(err.code).toBe('not_found');
  expect(err.message).toBe(`route ${path} not found`);
});

test.each<[string, string, string]>([
  ['DELETE', '/api/runs', 'POST, OPTIONS'],
  ['GET', '/api/runs', 'POST, OPTIONS'],
  ['POST', '/api/health', 'GET, OPTIONS'],
  ['HEAD', '/api/health', 'GET, OPTIONS'],
  ['PUT', '/', 'GET, POST, OPTIONS'],
  ['POST', '/index.html', 'GET, OPTIONS'],
  ['POST', '/api/runs/AAAA', 'GET, OPTIONS'],
  ['GET', '/api/runs/AAAA/kill', 'POST, OPTIONS'],
])('%s %s: 405 with allow: %s', (method, path, allow) => {
  const err = errorOf(method, path);
  expect(err.status).toBe(405);
  expect(err.code).toBe('method_not_allowed');
  expect(err.headers).toEqual({ allow });
  expect(err.message).toContain(`method: ${method} is not allowed on ${path}`);
});

test('a long path is named, clipped', () => {
  const path = `/api/runs/%ZZ${'A'.repeat(8000)}`;
  expect(errorOf('GET', path).message.length).toBeLessThan(200);
});

test('two routes for one method and path shape are refused when the table is built', () => {
  expect(() => new Router([{ method: 'GET', path: '/a/:x' }, { method: 'GET', path: '/a/:y' }])).toThrow(/two routes for GET \/a\/:/);
  expect(() => new Router([{ method: 'GET', path: 'a' }])).toThrow(/must start with/);
});
