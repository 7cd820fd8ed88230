/** Starts one function bundle (the very file FC runs) as a child process, and learns its port from its `listening` line. */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';
import { ROOT } from './platform';

export interface Server {
  name: 'api' | 'executor';
  port: number;
  child: ChildProcess;
  exited: { code: number | null; signal: string | null } | null;
  stderr: string;
}

export function startBundle(name: Server['name'], env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', name, 'index.js')], {
    env: { PATH: '/usr/bin:/bin', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server: Server = { name, port: 0, child, exited: null, stderr: '' };
  child.stderr!.on('data', (d) => (server.stderr += d));
  child.once('exit', (code, signal) => (server.exited = { code, signal }));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited ${code} during start: ${server.stderr}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const record = JSON.parse(line);
      if (record.event === 'listening') {
        server.port = record.port;
        resolve(server);
      }
    });
  });
}
