/**
 * Each local platform's own host facts folder (adapters/sandbox/hostFacts.ts) in the work root it may share with
 * other platforms on this host (the default work root is one per host; the test suites start several platforms at
 * once). One folder for all of them made every platform start forget, for the others too, what their instances had
 * probed: an instance that started just after another platform's start probed the host again. Each folder carries
 * its platform's pid: a folder whose platform is gone (killed, crashed) is removed by the next start.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { HostFacts } from '../adapters/sandbox/hostFacts';
import { processExists } from '../adapters/process/procfs';

const PREFIX = '.host-facts-';
const NAME = /^\.host-facts-(\d+)-[0-9a-f]+$/;

/** A fresh, empty facts folder for this platform (made by its first write), after removing those of dead platforms. */
export function hostFactsFolder(workRoot: string, pid = process.pid): HostFacts {
  let names: string[] = [];
  try {
    names = fs.readdirSync(workRoot);
  } catch {
    // no work root yet: nothing stale either
  }
  for (const name of names) {
    const owner = NAME.exec(name)?.[1];
    if (owner !== undefined && !processExists(Number(owner))) fs.rmSync(path.join(workRoot, name), { recursive: true, force: true });
  }
  // The random part keeps two platforms of one process (one after the other, or at once) apart.
  return new HostFacts(path.join(workRoot, `${PREFIX}${pid}-${crypto.randomBytes(4).toString('hex')}`));
}
