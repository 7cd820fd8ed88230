/**
 * The addresses a person can type into a phone to reach the platform: for a wildcard listen address (`0.0.0.0`,
 * `::`), the machine's own non-internal IPv4 and IPv6 addresses, which is what "the same network" can reach;
 * otherwise the address as given.
 */
import * as os from 'os';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

export function reachableUrls(host: string, port: number, interfaces = os.networkInterfaces()): string[] {
  const url = (address: string) => `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  if (!WILDCARDS.has(host)) return [url(host)];
  const addresses = Object.values(interfaces)
    .flat()
    .filter((i): i is os.NetworkInterfaceInfo => !!i && !i.internal)
    // IPv4 first: what phones on a home network use; link-local IPv6 needs a zone id a browser cannot take.
    .filter((i) => i.family === 'IPv4' || !i.address.startsWith('fe80:'))
    .sort((a, b) => (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1))
    .map((i) => url(i.address));
  return addresses.length > 0 ? addresses : [url('127.0.0.1')];
}
