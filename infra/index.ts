/**
 * The Pulumi program (Pulumi.yaml `main: infra/`). It reads and validates the stack's configuration once, builds
 * the two function bundles with the same builder `npm run build` and the tests use (scripts/bundles.js: esbuild,
 * deterministic, node-pty's linux-x64 binary beside the executor), and declares the platform (infra/stack.ts).
 */
import * as pulumi from '@pulumi/pulumi';
import * as fs from 'fs';
import * as path from 'path';
import { buildBundles } from '../scripts/bundles';
import { readStackConfig } from './config';
import { customDomainHint } from './customDomain';
import { pocketrunStack } from './stack';

const config = readStackConfig();
const built = buildBundles({ outDir: 'dist/fc/bundles', names: ['api', 'executor'], quiet: true });
// custom.debian10 ships no bwrap: without the bundled one (scripts/bundles.js BUNDLED_BWRAP), FC's executors can only
// run with uid isolation. The deploy goes on: that is still the documented fallback.
if (!fs.existsSync(path.join(built.executor, 'bin', 'bwrap'))) {
  pulumi.log.warn('the executor bundle has no bin/bwrap (run scripts/build-bwrap.sh first): FC will run programs with uid isolation');
}
const stack = pocketrunStack(config, { bundles: { api: built.api, executor: built.executor }, zipDir: 'dist/fc' });
// Without a custom domain the API works but the page does not (fcapp.run makes browsers download it): say how to
// add one, with this account's CNAME target, once per run.
if (config.customDomain === undefined) {
  stack.customDomainCname.apply((target) => pulumi.log.info(customDomainHint(target, config.region)));
}

/** Base URL of the API (the HTTP trigger's public address): what `npm run smoke -- <url>` takes. */
export const apiUrl = stack.apiUrl;
/** The page on the custom domain (only when `customDomain` is set). */
export const pageUrl = stack.pageUrl;
/** The CNAME target a custom domain needs before `pulumi up`: `<accountId>.<region>.fc.aliyuncs.com`. */
export const customDomainCname = stack.customDomainCname;
export const region = stack.region;
export const codeBucket = stack.codeBucket;
export const runsBucket = stack.runsBucket;
export const deployBucket = stack.deployBucket;
export const apiFunction = stack.apiFunction;
export const executorFunction = stack.executorFunction;
export const logProject = stack.logProject;
export const logstore = stack.logstore;
export const apiCodeSha256 = stack.apiCodeSha256;
export const executorCodeSha256 = stack.executorCodeSha256;
