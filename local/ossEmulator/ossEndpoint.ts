/**
 * One OSS endpoint for several emulated buckets, as OSS has one per region: a request goes to the bucket its
 * virtual-hosted Host header names (`<bucket>.<region>.aliyuncs.com`, what ali-oss sends for an IP endpoint).
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { FakeOssServer } from './fakeOssServer';

export interface OssEndpoint {
  url: string;
  close(): Promise<void>;
}

export function startOssEndpoint(buckets: FakeOssServer[]): Promise<OssEndpoint> {
  const byName = new Map(buckets.map((b) => [b.options.bucket, new URL(b.url)]));
  // Keep-alive towards the buckets: the endpoint must add no connection set-up of its own to each request.
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const target = byName.get((req.headers.host ?? '').split('.')[0]);
    if (!target) {
      res.writeHead(404).end();
      return;
    }
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
            agent.destroy();
          }),
      }),
    ),
  );
}
