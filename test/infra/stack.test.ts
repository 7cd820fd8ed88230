/**
 * The whole program under `pulumi.runtime.setMocks`: every resource with its critical inputs, and the security
 * properties as assertions (executor concurrency 1, no network path for user code, no secret in any environment
 * variable, each policy's exact actions and resources, the trigger's filter and source, lifecycle per stack).
 *
 * Each program run gets a fresh module registry (a fresh Pulumi runtime). Bundles: the real ones when they build
 * (scripts/bundles.js), otherwise stub folders with the same layout, so the infrastructure is tested either way.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { RawStackConfig } from '../../infra/config';

const ACCOUNT = '1234567890123456';
const REGION = 'cn-hangzhou';
const PROVIDER_URN_PREFIX = (stack: string) => `urn:pulumi:${stack}::pocketrun::pulumi:providers:alicloud::alicloud::`;
const TOKEN = 'contest-token-0123456789abcdef0123456789abcdef';

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  provider?: string;
  custom?: boolean;
  /** Dotted paths of inputs that were secrets. */
  secretPaths: string[];
  /** URNs the resource depends on (dependsOn and the resources its inputs come from). */
  dependencies: string[];
  /** Its `ignoreChanges` option: inputs whose drift Pulumi does not diff. */
  ignoreChanges: string[];
}

interface ProgramRun {
  resources: Recorded[];
  calls: Array<{ token: string; provider?: string }>;
  outputs: Record<string, any>;
  config: import('../../infra/config').StackConfig;
}

let tmp: string;
let stubBundles: { api: string; executor: string };

function writeFile(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

function makeStubBundles(root: string, marker = 'v1'): { api: string; executor: string } {
  const api = path.join(root, 'api');
  const executor = path.join(root, 'executor');
  writeFile(path.join(api, 'index.js'), `// api ${marker}\nrequire('http').createServer().listen(process.env.PORT || 9000);\n`);
  writeFile(path.join(executor, 'index.js'), `// executor ${marker}\nrequire('http').createServer().listen(process.env.PORT || 9000);\n`);
  writeFile(path.join(executor, 'node_modules/@lydell/node-pty/package.json'), '{"name":"@lydell/node-pty","version":"1.1.0"}\n');
  writeFile(path.join(executor, 'node_modules/@lydell/node-pty/index.js'), 'module.exports = {};\n');
  writeFile(path.join(executor, 'node_modules/@lydell/node-pty-linux-x64/pty.node'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
  return { api, executor };
}

/** The real bundles, built twice by the same builder the program uses (a failing build fails these tests). */
const realBuild: { bundles: { api: string; executor: string }; dirs: string[] } = (() => {
  const dirs = [0, 1].map((i) => fs.mkdtempSync(path.join(os.tmpdir(), `pocketrun-bundles-${i}-`)));
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { buildBundles } = require('../../scripts/bundles.js') as typeof import('../../scripts/bundles');
  const built = dirs.map((outDir) => buildBundles({ outDir, names: ['api', 'executor'], quiet: true }));
  return { bundles: { api: built[0].api, executor: built[0].executor }, dirs };
})();
beforeAll(() => {
  // Each program run is a fresh Pulumi runtime, and each adds a process exit listener.
  process.setMaxListeners(Math.max(process.getMaxListeners(), 64));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-infra-'));
  stubBundles = makeStubBundles(path.join(tmp, 'stub'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const dir of realBuild.dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function toPromise<T>(output: any): Promise<T> {
  if (output === undefined || output === null || typeof output.apply !== 'function') return Promise.resolve(output);
  return new Promise((resolve) => output.apply((value: T) => resolve(value)));
}

/** Runs infra/stack.ts under mocks with `raw` config (region added) and returns what was registered. */
async function runProgram(raw: RawStackConfig, options: { stack?: string; bundles?: { api: string; executor: string } } = {}): Promise<ProgramRun> {
  const stack = options.stack ?? 'dev';
  let run: ProgramRun | undefined;
  await jest.isolateModulesAsync(async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const pulumi = require('@pulumi/pulumi') as typeof import('@pulumi/pulumi');
    const resources: Recorded[] = [];
    const calls: ProgramRun['calls'] = [];
    const dependencies = new Map<string, string[]>();
    const ignoredChanges = new Map<string, string[]>();
    const unwrap = (value: any, at: string, secrets: string[]): any => {
      if (pulumi.runtime.isRpcSecret(value)) {
        secrets.push(at);
        return unwrap(pulumi.runtime.unwrapRpcSecret(value), at, secrets);
      }
      if (Array.isArray(value)) return value.map((v, i) => unwrap(v, `${at}[${i}]`, secrets));
      if (value && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v, at ? `${at}.${k}` : k, secrets)]));
      }
      return value;
    };
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          const secretPaths: string[] = [];
          const inputs = unwrap(args.inputs, '', secretPaths);
          const dependsOn = dependencies.get(`${args.type}::${args.name}`) ?? [];
          const ignoreChanges = ignoredChanges.get(`${args.type}::${args.name}`) ?? [];
          resources.push({ type: args.type, name: args.name, inputs, provider: args.provider, custom: args.custom, secretPaths, dependencies: dependsOn, ignoreChanges });
          const state: Record<string, any> = { ...inputs };
          switch (args.type) {
            case 'alicloud:ram/role:Role':
              state.arn = `acs:ram::${ACCOUNT}:role/${inputs.roleName}`;
              break;
            case 'alicloud:fc/v3Function:V3Function':
              state.functionArn = `acs:fc:${REGION}:${ACCOUNT}:functions/${inputs.functionName}`;
              break;
            case 'alicloud:fc/v3Trigger:V3Trigger':
              if (inputs.triggerType === 'http') {
                state.httpTrigger = {
                  urlInternet: `https://${inputs.functionName}-abcdefghij.${REGION}.fcapp.run`,
                  urlIntranet: `https://${inputs.functionName}-abcdefghij.${REGION}-vpc.fcapp.run`,
                };
              }
              break;
          }
          return { id: `${args.name}-id`, state };
        },
        call(args) {
          calls.push({ token: args.token, provider: args.provider });
          if (args.token === 'alicloud:index/getCallerIdentity:getCallerIdentity') {
            return { accountId: ACCOUNT, arn: `acs:ram::${ACCOUNT}:root`, id: ACCOUNT, identityType: 'Account' };
          }
          throw new Error(`unexpected invoke ${args.token}`);
        },
      },
      'pocketrun',
      stack,
      false,
    );
    // The mocks' newResource is not told a resource's dependencies or options; the request the mock monitor receives is.
    type RegisterRequest = { getType(): string; getName(): string; getDependenciesList(): string[]; getIgnorechangesList(): string[] };
    const monitor = (pulumi.runtime as unknown as { getMonitor(): { registerResource(req: RegisterRequest, cb: unknown): unknown } }).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      dependencies.set(`${req.getType()}::${req.getName()}`, req.getDependenciesList());
      ignoredChanges.set(`${req.getType()}::${req.getName()}`, req.getIgnorechangesList());
      return register(req, cb);
    };
    const { parseStackConfig } = require('../../infra/config') as typeof import('../../infra/config');
    const { pocketrunStack } = require('../../infra/stack') as typeof import('../../infra/stack');
    const config = parseStackConfig({ region: REGION, ...raw }, { stack });
    // The Pulumi runtime's state is process-wide: whatever this program started must finish before the next
    // program replaces the mocks, even when this one throws halfway.
    const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;
    try {
      const out = pocketrunStack(config, { bundles: options.bundles ?? stubBundles, zipDir: path.join(tmp, `zips-${stack}-${Math.random().toString(36).slice(2)}`) });
      const outputs: Record<string, any> = {};
      for (const [key, value] of Object.entries(out)) outputs[key] = await toPromise(value);
      run = { resources, calls, outputs, config };
    } finally {
      await waitForRPCs();
    }
  });
  return run as unknown as ProgramRun;
}

function ofType(run: ProgramRun, type: string): Recorded[] {
  return run.resources.filter((r) => r.type === type);
}

function one(run: ProgramRun, type: string, predicate: (r: Recorded) => boolean = () => true): Recorded {
  const found = ofType(run, type).filter(predicate);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}: ${found.map((r) => r.name).join(', ')}`);
  return found[0];
}

const T = {
  provider: 'pulumi:providers:alicloud',
  bucket: 'alicloud:oss/bucket:Bucket',
  acl: 'alicloud:oss/bucketAcl:BucketAcl',
  publicAccessBlock: 'alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock',
  sse: 'alicloud:oss/bucketServerSideEncryption:BucketServerSideEncryption',
  object: 'alicloud:oss/bucketObject:BucketObject',
  role: 'alicloud:ram/role:Role',
  policy: 'alicloud:ram/policy:Policy',
  attachment: 'alicloud:ram/rolePolicyAttachment:RolePolicyAttachment',
  fn: 'alicloud:fc/v3Function:V3Function',
  trigger: 'alicloud:fc/v3Trigger:V3Trigger',
  asyncConfig: 'alicloud:fc/v3AsyncInvokeConfig:V3AsyncInvokeConfig',
  concurrency: 'alicloud:fc/v3ConcurrencyConfig:V3ConcurrencyConfig',
  logProject: 'alicloud:log/project:Project',
  logStore: 'alicloud:log/store:Store',
  logIndex: 'alicloud:log/storeIndex:StoreIndex',
  customDomain: 'alicloud:fc/v3CustomDomain:V3CustomDomain',
};

const bucketName = (prefix: string, role: string) => `${prefix}-${role}-${ACCOUNT}`;
const fnNamed = (run: ProgramRun, name: string) => one(run, T.fn, (r) => r.inputs.functionName === name);
const roleNamed = (run: ProgramRun, name: string) => one(run, T.role, (r) => r.inputs.roleName === name);
const policyOf = (run: ProgramRun, roleName: string) => JSON.parse(one(run, T.policy, (r) => r.inputs.policyName === `${roleName}-policy`).inputs.policyDocument);

describe('dev stack (defaults)', () => {
  let run: ProgramRun;
  const prefix = 'pocketrun-dev';
  beforeAll(async () => {
    run = await runProgram({});
  });

  test('every resource exists, once, and nothing deprecated is used', () => {
    const counts: Record<string, number> = {};
    for (const r of run.resources.filter((r) => r.custom !== false)) counts[r.type] = (counts[r.type] ?? 0) + 1;
    expect(counts).toEqual({
      [T.provider]: 1,
      [T.bucket]: 3,
      [T.acl]: 3,
      [T.publicAccessBlock]: 3,
      [T.sse]: 3,
      [T.object]: 2,
      [T.role]: 3,
      [T.policy]: 3,
      [T.attachment]: 3,
      [T.fn]: 2,
      [T.trigger]: 2,
      [T.asyncConfig]: 1,
      [T.concurrency]: 1,
      [T.logProject]: 1,
      [T.logStore]: 1,
      [T.logIndex]: 1,
    });
    // FC 2.0 (services, v2 functions and triggers) and deprecated inline fields are never used.
    expect(run.resources.some((r) => /^alicloud:fc\/(service|function|trigger|customDomain|alias):/.test(r.type))).toBe(false);
    for (const b of ofType(run, T.bucket)) for (const field of ['acl', 'policy', 'refererConfig', 'loggingIsenable']) expect(b.inputs[field]).toBeUndefined();
    for (const r of ofType(run, T.role)) for (const field of ['name', 'document', 'services', 'ramUsers', 'version']) expect(r.inputs[field]).toBeUndefined();
    for (const p of ofType(run, T.policy)) for (const field of ['name', 'document', 'statements', 'version']) expect(p.inputs[field]).toBeUndefined();
    expect(one(run, T.logStore).inputs.name).toBeUndefined();
    expect(one(run, T.logStore).inputs.project).toBeUndefined();
    expect(one(run, T.logProject).inputs.name).toBeUndefined();
  });

  test('one explicit provider in the configured region carries every resource; the account id comes from it', () => {
    const provider = one(run, T.provider);
    expect(provider.inputs.region).toBe(REGION);
    expect(provider.inputs.accessKey).toBeUndefined();
    expect(provider.inputs.secretKey).toBeUndefined();
    for (const r of run.resources.filter((r) => r.type.startsWith('alicloud:'))) {
      expect(r.provider?.startsWith(PROVIDER_URN_PREFIX('dev'))).toBe(true);
    }
    expect(run.calls).toEqual([{ token: 'alicloud:index/getCallerIdentity:getCallerIdentity', provider: expect.stringContaining(PROVIDER_URN_PREFIX('dev')) }]);
  });

  test('buckets: private, public access blocked, AES256, force-destroyable, names with the account id', () => {
    const names = ofType(run, T.bucket).map((b) => b.inputs.bucket).sort();
    expect(names).toEqual([bucketName(prefix, 'code'), bucketName(prefix, 'deploy'), bucketName(prefix, 'runs')]);
    for (const name of names) {
      const bucket = one(run, T.bucket, (b) => b.inputs.bucket === name);
      expect(bucket.inputs.forceDestroy).toBe(true);
      expect(bucket.inputs.serverSideEncryptionRule).toBeUndefined();
      expect(one(run, T.acl, (r) => r.inputs.bucket === name).inputs.acl).toBe('private');
      expect(one(run, T.publicAccessBlock, (r) => r.inputs.bucket === name).inputs.blockPublicAccess).toBe(true);
      const sse = one(run, T.sse, (r) => r.inputs.bucket === name).inputs;
      expect(sse.sseAlgorithm).toBe('AES256');
      // Appendable objects (output, control) cannot use a KMS key id.
      expect(sse.kmsMasterKeyId).toBeUndefined();
      // The bucket reads back the encryption and ACL the standalone resources set (serverSideEncryptionRule is
      // Optional, not Computed): without ignoreChanges, a refresh makes the next up diff and remove the encryption.
      expect(bucket.ignoreChanges).toEqual(expect.arrayContaining(['serverSideEncryptionRule', 'acl']));
    }
  });

  test('lifecycle: run data expires after 1 day, manifests after 7, deploy packages never', () => {
    const rules = (role: string) => one(run, T.bucket, (b) => b.inputs.bucket === bucketName(prefix, role)).inputs.lifecycleRules;
    expect(rules('runs')).toEqual([{ id: 'expire-runs', prefix: 'runs/', enabled: true, expirations: [{ days: 1 }] }]);
    expect(rules('code')).toEqual([{ id: 'expire-manifests', prefix: 'manifests/', enabled: true, expirations: [{ days: 7 }] }]);
    expect(rules('deploy')).toBeUndefined();
  });

  test('executor: custom.debian10, one run per instance, timeout above the longest run, sizes from config', () => {
    const fn = fnNamed(run, `${prefix}-executor`).inputs;
    expect(fn.runtime).toBe('custom.debian10');
    expect(fn.customRuntimeConfig).toEqual({ commands: ['/var/fc/lang/nodejs20/bin/node'], args: ['--no-flush-bytecode', 'index.js'], port: 9000 });
    expect(fn.instanceConcurrency).toBe(1);
    expect(fn.timeout).toBe(360);
    expect(fn.timeout * 1000).toBeGreaterThan(run.config.runLimits.timeoutMaxMs);
    expect(fn.memorySize).toBe(2048);
    expect(fn.cpu).toBe(1);
    expect(fn.memorySize * 1024 * 1024).toBeGreaterThan(run.config.runLimits.memoryMaxBytes);
    expect(fn.role).toBe(`acs:ram::${ACCOUNT}:role/${prefix}-executor`);
    expect(fn.logConfig).toMatchObject({ project: bucketName(prefix, 'logs'), logstore: 'functions' });
    expect(one(run, T.concurrency).inputs).toEqual({ functionName: `${prefix}-executor`, reservedConcurrency: 10 });
  });

  test('no network path for user code: internet off, no VPC, OSS over the internal endpoint, ALLOW_NETWORK=0', () => {
    for (const fn of ofType(run, T.fn)) {
      expect(fn.inputs.internetAccess).toBe(false);
      expect(fn.inputs.vpcConfig).toBeUndefined();
      expect(fn.inputs.environmentVariables.OSS_ENDPOINT).toBe(`https://oss-${REGION}-internal.aliyuncs.com`);
      expect(fn.inputs.environmentVariables.OSS_REGION).toBe(`oss-${REGION}`);
    }
    expect(fnNamed(run, `${prefix}-executor`).inputs.environmentVariables.ALLOW_NETWORK).toBe('0');
    // Nothing that could give a route out exists.
    expect(run.resources.some((r) => /^alicloud:(vpc|ecs|nat|eip)/.test(r.type))).toBe(false);
  });

  test('environments: exactly the expected keys, bucket names and limits, no credential, no secret', () => {
    const limits = {
      RUN_TIMEOUT_DEFAULT_MS: '60000',
      RUN_TIMEOUT_MAX_MS: '300000',
      RUN_OUTPUT_DEFAULT_BYTES: String(1024 * 1024),
      RUN_OUTPUT_MAX_BYTES: String(8 * 1024 * 1024),
      RUN_MEMORY_DEFAULT_BYTES: String(256 * 1024 * 1024),
      RUN_MEMORY_MAX_BYTES: String(1024 * 1024 * 1024),
    };
    const common = {
      STORE: 'oss',
      CODE_BUCKET: bucketName(prefix, 'code'),
      RUNS_BUCKET: bucketName(prefix, 'runs'),
      OSS_REGION: `oss-${REGION}`,
      OSS_ENDPOINT: `https://oss-${REGION}-internal.aliyuncs.com`,
      ...limits,
    };
    expect(fnNamed(run, `${prefix}-executor`).inputs.environmentVariables).toEqual({ ...common, ALLOW_NETWORK: '0' });
    // The dev stack sets a CORS origin and no token.
    // The API also knows its own timeout, which FC cuts its connections at (its WebSocket sessions end before).
    expect(fnNamed(run, `${prefix}-api`).inputs.environmentVariables).toEqual({ ...common, API_TIMEOUT_MS: '60000' });
    expect(fnNamed(run, `${prefix}-api`).inputs.timeout).toBe(60);
    for (const fn of ofType(run, T.fn)) {
      for (const [key, value] of Object.entries<string>(fn.inputs.environmentVariables)) {
        expect(key).not.toMatch(/KEY|SECRET|PASSWORD|TOKEN(?!_SHA256)/);
        expect(value).not.toMatch(/^LTAI/); // an AccessKey id
      }
    }
  });

  test('async invocation: retries suit the idempotent executor, stale events are dropped', () => {
    expect(one(run, T.asyncConfig).inputs).toEqual({
      functionName: `${prefix}-executor`,
      qualifier: 'LATEST',
      maxAsyncRetryAttempts: 2,
      maxAsyncEventAgeInSeconds: 600,
      asyncTask: false,
    });
  });

  test('API: custom.debian10, many requests per instance, anonymous HTTP trigger, URL as output', () => {
    const fn = fnNamed(run, `${prefix}-api`).inputs;
    expect(fn.runtime).toBe('custom.debian10');
    expect(fn.customRuntimeConfig).toEqual({ commands: ['/var/fc/lang/nodejs20/bin/node'], args: ['--no-flush-bytecode', 'index.js'], port: 9000 });
    expect(fn.instanceConcurrency).toBe(20);
    expect(fn.timeout).toBe(60);
    expect(fn.role).toBe(`acs:ram::${ACCOUNT}:role/${prefix}-api`);
    const http = one(run, T.trigger, (t) => t.inputs.triggerType === 'http').inputs;
    expect(http.functionName).toBe(`${prefix}-api`);
    expect(http.qualifier).toBe('LATEST');
    const config = JSON.parse(http.triggerConfig);
    expect(config.authType).toBe('anonymous');
    expect(config.methods).toEqual(expect.arrayContaining(['GET', 'POST', 'OPTIONS']));
    expect(config.disableURLInternet).toBe(false);
    expect(run.outputs.apiUrl).toBe(`https://${prefix}-api-abcdefghij.${REGION}.fcapp.run`);
  });

  test('OSS trigger: manifests only, source from account and region, a role that may only invoke the executor', () => {
    const trigger = one(run, T.trigger, (t) => t.inputs.triggerType === 'oss').inputs;
    expect(trigger.functionName).toBe(`${prefix}-executor`);
    expect(trigger.qualifier).toBe('LATEST');
    expect(trigger.sourceArn).toBe(`acs:oss:${REGION}:${ACCOUNT}:${bucketName(prefix, 'code')}`);
    expect(JSON.parse(trigger.triggerConfig)).toEqual({
      events: ['oss:ObjectCreated:PutObject'],
      filter: { key: { prefix: 'manifests/', suffix: '.json' } },
    });
    expect(trigger.invocationRole).toBe(`acs:ram::${ACCOUNT}:role/${prefix}-oss-invoke`);
    const role = roleNamed(run, `${prefix}-oss-invoke`).inputs;
    expect(JSON.parse(role.assumeRolePolicyDocument)).toEqual({
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['oss.aliyuncs.com'] } }],
    });
    expect(policyOf(run, `${prefix}-oss-invoke`)).toEqual({
      Version: '1',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['fc:InvokeFunction'],
          Resource: [`acs:fc:${REGION}:${ACCOUNT}:functions/${prefix}-executor`, `acs:fc:${REGION}:${ACCOUNT}:functions/${prefix}-executor/*`],
        },
      ],
    });
  });

  test('function roles: trusted by fc.aliyuncs.com, each policy with its exact actions and resources', () => {
    for (const name of [`${prefix}-api`, `${prefix}-executor`]) {
      expect(JSON.parse(roleNamed(run, name).inputs.assumeRolePolicyDocument)).toEqual({
        Version: '1',
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } }],
      });
    }
    const code = bucketName(prefix, 'code');
    const runs = bucketName(prefix, 'runs');
    expect(policyOf(run, `${prefix}-api`)).toEqual({
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject'], Resource: [`acs:oss:*:${ACCOUNT}:${code}/manifests/*.json`] },
        { Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`acs:oss:*:${ACCOUNT}:${runs}/runs/*`] },
        { Effect: 'Allow', Action: ['oss:PutObject'], Resource: [`acs:oss:*:${ACCOUNT}:${runs}/runs/*/control`] },
      ],
    });
    expect(policyOf(run, `${prefix}-executor`)).toEqual({
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`acs:oss:*:${ACCOUNT}:${code}/manifests/*.json`] },
        { Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`acs:oss:*:${ACCOUNT}:${runs}/runs/*`] },
        {
          Effect: 'Allow',
          Action: ['oss:PutObject'],
          Resource: [
            `acs:oss:*:${ACCOUNT}:${runs}/runs/*/claim`,
            `acs:oss:*:${ACCOUNT}:${runs}/runs/*/status.json`,
            `acs:oss:*:${ACCOUNT}:${runs}/runs/*/output`,
            `acs:oss:*:${ACCOUNT}:${runs}/runs/_executor/sandbox.json`,
            `acs:oss:*:${ACCOUNT}:${runs}/runs/_executor/runtimes.json`,
          ],
        },
      ],
    });
    // Each role has exactly its own policy attached, as a custom policy.
    for (const name of [`${prefix}-api`, `${prefix}-executor`, `${prefix}-oss-invoke`]) {
      expect(one(run, T.attachment, (a) => a.inputs.roleName === name).inputs).toEqual({ roleName: name, policyName: `${name}-policy`, policyType: 'Custom' });
    }
    // Nowhere a wildcard action, a bare "*" resource, the deploy bucket, or a delete/list/ACL permission.
    for (const policy of ofType(run, T.policy)) {
      const doc = JSON.parse(policy.inputs.policyDocument);
      for (const statement of doc.Statement) {
        expect(statement.Effect).toBe('Allow');
        for (const action of statement.Action) {
          expect(action).not.toContain('*');
          expect(action).not.toMatch(/Delete|List|Acl|Policy/);
        }
        for (const resource of statement.Resource) {
          expect(resource).not.toBe('*');
          expect(resource).not.toContain(bucketName(prefix, 'deploy'));
        }
      }
      expect(policy.inputs.rotateStrategy).toBe('DeleteOldestNonDefaultVersionWhenLimitExceeded');
    }
  });

  test('writes: each role may put exactly the protocol objects its function writes (RAM wildcards matched against core/protocol.ts keys)', async () => {
    const { keys } = await import('../../core/protocol');
    const code = bucketName(prefix, 'code');
    const runs = bucketName(prefix, 'runs');
    const id = 'AbCdEfGhIjKlMnOpQrStUvWx';
    const other = 'ZyXwVuTsRqPoNmLkJiHgFeDc';
    const arn = (bucket: string, key: string) => `acs:oss:*:${ACCOUNT}:${bucket}/${key}`;
    // RAM's `*` matches any run of characters, `/` included.
    const matches = (pattern: string, resource: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.?+^$()[\]{}|\\]/g, '\\$&')).join('.*')}$`).test(resource);
    const allowed = (role: string, action: string, resource: string) =>
      policyOf(run, role).Statement.some((s: any) => s.Action.includes(action) && s.Resource.some((r: string) => matches(r, resource)));
    const api = `${prefix}-api`;
    const executor = `${prefix}-executor`;

    // The API creates manifests and appends to control streams; it reads the rest of a run.
    expect(allowed(api, 'oss:PutObject', arn(code, keys.manifest(id)))).toBe(true);
    expect(allowed(api, 'oss:PutObject', arn(runs, keys.control(id)))).toBe(true);
    for (const key of [keys.status(id), keys.output(id), keys.claim(id), keys.result(id), keys.runtimes(), keys.executorReport()]) {
      expect(allowed(api, 'oss:GetObject', arn(runs, key))).toBe(true);
      // A compromised API cannot forge a run's verdict, output or owner, nor what /api/runtimes reports.
      expect(allowed(api, 'oss:PutObject', arn(runs, key))).toBe(false);
    }
    expect(allowed(api, 'oss:PutObject', arn(code, 'manifests/x.exe'))).toBe(false);

    // The executor writes what a run produces and its reports, reads its manifest and control stream.
    for (const key of [keys.claim(id), keys.status(id), keys.output(id), keys.runtimes(), keys.executorReport()]) {
      expect(allowed(executor, 'oss:PutObject', arn(runs, key))).toBe(true);
    }
    expect(allowed(executor, 'oss:GetObject', arn(code, keys.manifest(id)))).toBe(true);
    expect(allowed(executor, 'oss:GetObject', arn(runs, keys.control(id)))).toBe(true);
    // With the executor's credentials nobody can type into another run, or write a manifest (start a run).
    expect(allowed(executor, 'oss:PutObject', arn(runs, keys.control(other)))).toBe(false);
    expect(allowed(executor, 'oss:PutObject', arn(code, keys.manifest(other)))).toBe(false);
    // Outside the protocol's prefixes nothing at all.
    for (const role of [api, executor]) {
      for (const action of ['oss:GetObject', 'oss:PutObject']) {
        expect(allowed(role, action, arn(code, 'elsewhere/x.json'))).toBe(false);
        expect(allowed(role, action, arn(runs, 'elsewhere/x'))).toBe(false);
      }
    }
  });

  test('code: a content-addressed package in the deploy bucket, with the CRC-64 FC checks', async () => {
    const { packageBundle, REQUIRED } = await (async () => {
      const { packageBundle } = await import('../../infra/functionCode');
      const { REQUIRED_BUNDLE_FILES } = await import('../../infra/stack');
      return { packageBundle, REQUIRED: REQUIRED_BUNDLE_FILES };
    })();
    for (const name of ['api', 'executor'] as const) {
      const pkg = packageBundle(stubBundles[name], [...REQUIRED[name]]);
      const object = one(run, T.object, (o) => o.inputs.key.startsWith(`functions/${name}/`)).inputs;
      expect(object.bucket).toBe(bucketName(prefix, 'deploy'));
      expect(object.key).toBe(`functions/${name}/${pkg.sha256}.zip`);
      expect(object.contentMd5).toBe(createHash('md5').update(pkg.zip).digest('hex'));
      expect(fs.readFileSync(object.source).equals(pkg.zip)).toBe(true);
      const fn = fnNamed(run, `${prefix}-${name}`).inputs;
      expect(fn.code).toEqual({ ossBucketName: bucketName(prefix, 'deploy'), ossObjectName: object.key, checksum: pkg.crc64 });
    }
    expect(run.outputs.executorCodeSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('logs: a project and a logstore the functions write to', () => {
    expect(one(run, T.logProject).inputs.projectName).toBe(bucketName(prefix, 'logs'));
    const store = one(run, T.logStore).inputs;
    expect(store).toMatchObject({ projectName: bucketName(prefix, 'logs'), logstoreName: 'functions', retentionPeriod: 7 });
    const index = one(run, T.logIndex).inputs;
    expect(index.fieldSearches.map((f: any) => f.name)).toEqual(['functionName', 'message']);
    for (const fn of ofType(run, T.fn)) expect(fn.inputs.logConfig).toMatchObject({ project: bucketName(prefix, 'logs'), logstore: 'functions', logBeginRule: 'None' });
  });

  test('outputs: URL, bucket names, function names', () => {
    expect(run.outputs).toMatchObject({
      region: REGION,
      codeBucket: bucketName(prefix, 'code'),
      runsBucket: bucketName(prefix, 'runs'),
      deployBucket: bucketName(prefix, 'deploy'),
      apiFunction: `${prefix}-api`,
      executorFunction: `${prefix}-executor`,
      logProject: bucketName(prefix, 'logs'),
      logstore: 'functions',
    });
  });
});

describe('contest stack (from Pulumi.contest.yaml, with a token)', () => {
  let run: ProgramRun;
  const prefix = 'pocketrun-contest';
  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const yaml = require('js-yaml') as { load(text: string): any };
    const doc = yaml.load(fs.readFileSync(path.resolve(__dirname, '../../Pulumi.contest.yaml'), 'utf8'));
    const raw: RawStackConfig = {};
    for (const [key, value] of Object.entries<string>(doc.config)) raw[key.replace(/^pocketrun:/, '')] = value;
    run = await runProgram({ ...raw, apiToken: TOKEN }, { stack: 'contest' });
  });

  test('lifecycle rules follow the stack: one day for runs and code', () => {
    const rules = (role: string) => one(run, T.bucket, (b) => b.inputs.bucket === bucketName(prefix, role)).inputs.lifecycleRules;
    expect(rules('runs')[0].expirations).toEqual([{ days: 1 }]);
    expect(rules('code')[0].expirations).toEqual([{ days: 1 }]);
  });

  test('more executors, still one run per instance', () => {
    expect(one(run, T.concurrency).inputs.reservedConcurrency).toBe(100);
    expect(fnNamed(run, `${prefix}-executor`).inputs.instanceConcurrency).toBe(1);
    expect(fnNamed(run, `${prefix}-api`).inputs.instanceConcurrency).toBe(50);
  });

  test('the API gets the token\'s SHA-256 (as a secret), and the token itself appears nowhere', () => {
    const api = fnNamed(run, `${prefix}-api`);
    const sha = createHash('sha256').update(TOKEN).digest('hex');
    expect(api.inputs.environmentVariables.API_TOKEN_SHA256).toBe(sha);
    expect(api.secretPaths.some((p) => p.startsWith('environmentVariables'))).toBe(true);
    expect(api.inputs.environmentVariables.CORS_ORIGIN).toBe('https://contest.example.org');
    expect(fnNamed(run, `${prefix}-executor`).inputs.environmentVariables.API_TOKEN_SHA256).toBeUndefined();
    const everything = JSON.stringify(run.resources.map((r) => r.inputs)) + JSON.stringify(run.outputs);
    expect(everything).not.toContain(TOKEN);
  });

  test('run limits reach both functions', () => {
    for (const fn of ofType(run, T.fn)) {
      expect(fn.inputs.environmentVariables.RUN_TIMEOUT_DEFAULT_MS).toBe('30000');
      expect(fn.inputs.environmentVariables.RUN_OUTPUT_MAX_BYTES).toBe(String(4096 * 1024));
    }
  });
});

describe('switches', () => {
  test('logging off: no log resources, no log config', async () => {
    const run = await runProgram({ logging: 'false' });
    expect(ofType(run, T.logProject)).toHaveLength(0);
    expect(ofType(run, T.logStore)).toHaveLength(0);
    expect(ofType(run, T.logIndex)).toHaveLength(0);
    for (const fn of ofType(run, T.fn)) expect(fn.inputs.logConfig).toBeUndefined();
    expect(run.outputs.logProject).toBeUndefined();
  });

  test('allowNetwork: only the executor gets internet, and ALLOW_NETWORK=1 agrees', async () => {
    const run = await runProgram({ allowNetwork: 'true' });
    const executor = fnNamed(run, 'pocketrun-dev-executor').inputs;
    expect(executor.internetAccess).toBe(true);
    expect(executor.environmentVariables.ALLOW_NETWORK).toBe('1');
    expect(fnNamed(run, 'pocketrun-dev-api').inputs.internetAccess).toBe(false);
  });

  test('executorDiskMb: the executor gets that disk and may give runs what it leaves; the API keeps the smallest', async () => {
    const plain = await runProgram({});
    for (const fn of ofType(plain, T.fn)) expect(fn.inputs.diskSize).toBe(512);
    const run = await runProgram({ executorDiskMb: '10240', runDiskMaxMib: '4096' });
    expect(fnNamed(run, 'pocketrun-dev-executor').inputs.diskSize).toBe(10240);
    expect(fnNamed(run, 'pocketrun-dev-executor').inputs.environmentVariables.RUN_DISK_MAX_BYTES).toBe(String(4096 * 1024 * 1024));
    expect(fnNamed(run, 'pocketrun-dev-api').inputs.diskSize).toBe(512);
    await expect(runProgram({ runDiskMaxMib: '512' })).rejects.toThrow(/pocketrun:runDiskMaxMib: 512 MiB leaves the executor less than its 64 MiB/);
  });

  test('apiTimeoutSeconds: the API function gets it as its FC timeout and, in ms, as API_TIMEOUT_MS; the executor does not', async () => {
    const run = await runProgram({ apiTimeoutSeconds: '900' });
    const api = fnNamed(run, 'pocketrun-dev-api').inputs;
    expect(api.timeout).toBe(900);
    expect(api.environmentVariables.API_TIMEOUT_MS).toBe('900000');
    expect(fnNamed(run, 'pocketrun-dev-executor').inputs.environmentVariables.API_TIMEOUT_MS).toBeUndefined();
  });

  test('no executorLayers: neither function has a layers input', async () => {
    const run = await runProgram({});
    for (const fn of ofType(run, T.fn)) expect(Object.keys(fn.inputs)).not.toContain('layers');
  });

  test('executorLayers: the executor gets exactly those layers, in order; the API none; environments unchanged', async () => {
    const layers = [`acs:fc:${REGION}:${ACCOUNT}:layers/gcc/versions/2`, `acs:fc:${REGION}:official:layers/Java17/versions/1`, `acs:fc:${REGION}:${ACCOUNT}:layers/jdk/versions/7`];
    const run = await runProgram({ executorLayers: JSON.stringify(layers) });
    expect(fnNamed(run, 'pocketrun-dev-executor').inputs.layers).toEqual(layers);
    expect(Object.keys(fnNamed(run, 'pocketrun-dev-api').inputs)).not.toContain('layers');
    // FC unpacks layers under /opt, where the registry looks by path: no variable is needed for them.
    const plain = await runProgram({});
    for (const name of ['pocketrun-dev-executor', 'pocketrun-dev-api']) {
      expect(fnNamed(run, name).inputs.environmentVariables).toEqual(fnNamed(plain, name).inputs.environmentVariables);
    }
  });
});

const CERT = `-----BEGIN CERTIFICATE-----\nMIIB${'C'.repeat(60)}\n${'c'.repeat(40)}==\n-----END CERTIFICATE-----`;
const KEY_BODY = 'PRIVATEKEYMATERIAL0123456789';
const KEY = `-----BEGIN PRIVATE KEY-----\nMIIE${KEY_BODY}${'k'.repeat(30)}\n-----END PRIVATE KEY-----`;
const DOMAIN = 'run.example.org';
const CNAME_TARGET = `${ACCOUNT}.${REGION}.fc.aliyuncs.com`;

describe('custom domain (the page\'s own address)', () => {
  const prefix = 'pocketrun-dev';
  const apiUrns = [`alicloud:fc/v3Function:V3Function::api`, `alicloud:fc/v3Trigger:V3Trigger::api`];

  test('unset: no custom domain, no pageUrl; the CNAME target is an output all the same', async () => {
    const run = await runProgram({});
    expect(ofType(run, T.customDomain)).toHaveLength(0);
    expect(run.outputs.pageUrl).toBeUndefined();
    expect(run.outputs.customDomainCname).toBe(CNAME_TARGET);
  });

  test('a domain alone: HTTP, every path and method the API uses to the API function, after it and its trigger', async () => {
    const run = await runProgram({ customDomain: DOMAIN });
    const domain = one(run, T.customDomain);
    expect(domain.inputs).toEqual({
      customDomainName: DOMAIN,
      protocol: 'HTTP',
      authConfig: { authType: 'anonymous' },
      routeConfig: { routes: [{ functionName: `${prefix}-api`, qualifier: 'LATEST', path: '/*', methods: ['GET', 'HEAD', 'POST', 'OPTIONS'] }] },
    });
    // HTTP only: no tlsConfig, nothing ignored.
    expect(domain.ignoreChanges).toEqual([]);
    // The route covers every method the HTTP trigger lets through.
    const http = JSON.parse(one(run, T.trigger, (t) => t.inputs.triggerType === 'http').inputs.triggerConfig);
    expect([...domain.inputs.routeConfig.routes[0].methods].sort()).toEqual([...http.methods].sort());
    for (const urn of apiUrns) expect(domain.dependencies.some((d) => d.endsWith(urn))).toBe(true);
    expect(domain.provider?.startsWith(PROVIDER_URN_PREFIX('dev'))).toBe(true);
    expect(run.outputs.pageUrl).toBe(`http://${DOMAIN}/`);
    expect(run.outputs.customDomainCname).toBe(CNAME_TARGET);
    // Same origin: without corsOrigin the API's environment is as without a domain.
    expect(fnNamed(run, `${prefix}-api`).inputs.environmentVariables.CORS_ORIGIN).toBeUndefined();
    expect(fnNamed(run, `${prefix}-api`).inputs.environmentVariables).toEqual(fnNamed(await runProgram({}), `${prefix}-api`).inputs.environmentVariables);
  });

  test('with a PEM certificate and key: HTTP and HTTPS, TLS 1.2 at least, the key a secret', async () => {
    const run = await runProgram({ customDomain: DOMAIN, customDomainCertificate: CERT, customDomainPrivateKey: KEY });
    const domain = one(run, T.customDomain);
    expect(domain.inputs.protocol).toBe('HTTP,HTTPS');
    expect(domain.inputs.certConfig).toEqual({ certName: `${prefix}-page`, certificate: CERT, privateKey: KEY });
    expect(domain.inputs.certificateId).toBeUndefined();
    expect(domain.inputs.tlsConfig).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    // FC fills the cipher suites and the provider reads them back (Optional, not Computed): their drift is ignored,
    // else every preview would diff them away; the versions are not ignored.
    expect(domain.ignoreChanges).toEqual(['tlsConfig.cipherSuites']);
    expect(domain.inputs.routeConfig.routes[0]).toMatchObject({ functionName: `${prefix}-api`, path: '/*' });
    // Pulumi marks the whole certConfig secret around the secret key: the key is covered either way.
    expect(domain.secretPaths.some((p) => p === 'certConfig' || p === 'certConfig.privateKey')).toBe(true);
    expect(run.outputs.pageUrl).toBe(`https://${DOMAIN}/`);
    // The key reaches nothing else: no function, no output.
    const elsewhere = JSON.stringify(run.resources.filter((r) => r !== domain).map((r) => r.inputs)) + JSON.stringify(run.outputs);
    expect(elsewhere).not.toContain(KEY_BODY);
  });

  test('with a Certificate Management Service id: HTTPS from that certificate, no PEM in the inputs', async () => {
    const run = await runProgram({ customDomain: DOMAIN, customDomainCertificateId: '12345678' });
    const domain = one(run, T.customDomain);
    expect(domain.inputs.protocol).toBe('HTTP,HTTPS');
    expect(domain.inputs.certificateId).toBe('12345678');
    expect(domain.inputs.certConfig).toBeUndefined();
    expect(domain.inputs.tlsConfig).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    expect(domain.ignoreChanges).toEqual(['tlsConfig.cipherSuites']);
    expect(run.outputs.pageUrl).toBe(`https://${DOMAIN}/`);
  });

  test('a corsOrigin set beside a domain still reaches the API', async () => {
    const run = await runProgram({ customDomain: DOMAIN, corsOrigin: 'https://contest.example.org' });
    expect(fnNamed(run, `${prefix}-api`).inputs.environmentVariables.CORS_ORIGIN).toBe('https://contest.example.org');
  });
});

describe('code packages redeploy only on change', () => {
  test('same bundles: same keys and checksums; a changed executor: a new executor key only', async () => {
    const first = await runProgram({});
    const again = await runProgram({});
    const codeOf = (run: ProgramRun, name: string) => fnNamed(run, `pocketrun-dev-${name}`).inputs.code;
    expect(codeOf(again, 'api')).toEqual(codeOf(first, 'api'));
    expect(codeOf(again, 'executor')).toEqual(codeOf(first, 'executor'));

    const changed = makeStubBundles(path.join(tmp, 'changed'));
    fs.appendFileSync(path.join(changed.executor, 'index.js'), '// one more line\n');
    const third = await runProgram({}, { bundles: changed });
    expect(codeOf(third, 'api')).toEqual(codeOf(first, 'api'));
    expect(codeOf(third, 'executor').ossObjectName).not.toBe(codeOf(first, 'executor').ossObjectName);
    expect(codeOf(third, 'executor').checksum).not.toBe(codeOf(first, 'executor').checksum);
  });

  test('an executor bundle without the node-pty binary is refused', async () => {
    const broken = makeStubBundles(path.join(tmp, 'broken'));
    fs.rmSync(path.join(broken.executor, 'node_modules/@lydell/node-pty-linux-x64'), { recursive: true });
    await expect(runProgram({}, { bundles: broken })).rejects.toThrow(/requiredFiles: node_modules\/@lydell\/node-pty-linux-x64\/pty.node is missing/);
  });
});

describe('the program entry (infra/index.ts) and the real bundles', () => {
  test('readStackConfig reads the pocketrun:* keys once and names a bad key', async () => {
    await jest.isolateModulesAsync(async () => {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const pulumi = require('@pulumi/pulumi') as typeof import('@pulumi/pulumi');
      await pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) }, 'pocketrun', 'contest', false);
      pulumi.runtime.setAllConfig({ 'pocketrun:region': 'cn-shanghai', 'pocketrun:apiToken': TOKEN, 'pocketrun:requireApiToken': 'true', 'alicloud:region': 'cn-beijing' }, ['pocketrun:apiToken']);
      const { readStackConfig } = require('../../infra/config') as typeof import('../../infra/config');
      const config = readStackConfig();
      expect(config.region).toBe('cn-shanghai');
      expect(config.namePrefix).toBe('pocketrun-contest');
      expect(config.apiToken).toBe(TOKEN);
      pulumi.runtime.setAllConfig({ 'pocketrun:region': 'cn-shanghai', 'pocketrun:executorMemoryMb': '1000' });
      expect(() => readStackConfig()).toThrow(/pocketrun:executorMemoryMb: expected a multiple of 64/);
    });
  });

  interface EntryRun {
    program: Record<string, any>;
    outputs: Record<string, any>;
    buildCalls: unknown[];
    types: string[];
    /** What the program logged with pulumi.log.info. */
    infos: string[];
  }

  /** Runs infra/index.ts itself under mocks with `config` (full keys), stub bundles, and pulumi.log.info recorded. */
  async function runEntry(config: Record<string, string>): Promise<EntryRun> {
    let run: EntryRun | undefined;
    await jest.isolateModulesAsync(async () => {
      const buildCalls: unknown[] = [];
      jest.doMock('../../scripts/bundles', () => ({
        buildBundles: (options: unknown) => {
          buildCalls.push(options);
          return { api: stubBundles.api, executor: stubBundles.executor };
        },
      }));
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const pulumi = require('@pulumi/pulumi') as typeof import('@pulumi/pulumi');
      const infos: string[] = [];
      jest.spyOn(pulumi.log, 'info').mockImplementation(async (message: string) => {
        infos.push(message);
      });
      const types: string[] = [];
      await pulumi.runtime.setMocks(
        {
          newResource: (a) => {
            types.push(a.type);
            const state: Record<string, any> = { ...a.inputs };
            if (a.type === T.role) state.arn = `acs:ram::${ACCOUNT}:role/${a.inputs.roleName}`;
            if (a.type === T.trigger && a.inputs.triggerType === 'http') state.httpTrigger = { urlInternet: 'https://api.example' };
            return { id: `${a.name}-id`, state };
          },
          call: () => ({ accountId: ACCOUNT }),
        },
        'pocketrun',
        'dev',
        false,
      );
      pulumi.runtime.setAllConfig(config);
      const cwd = process.cwd();
      process.chdir(tmp); // the program writes its zips under ./dist/fc
      try {
        const program = require('../../infra/index') as Record<string, any>;
        const outputs: Record<string, any> = {};
        for (const [key, value] of Object.entries(program)) outputs[key] = await toPromise(value);
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
        run = { program, outputs, buildCalls, types, infos };
      } finally {
        process.chdir(cwd);
        jest.dontMock('../../scripts/bundles');
      }
    });
    return run as unknown as EntryRun;
  }

  test('infra/index.ts: config once, buildBundles for api and executor, the stack, its outputs', async () => {
    const { program, outputs, buildCalls, types } = await runEntry({ 'pocketrun:region': REGION, 'pocketrun:logging': 'false' });
    expect(buildCalls).toEqual([{ outDir: 'dist/fc/bundles', names: ['api', 'executor'], quiet: true }]);
    expect(outputs.apiUrl).toBe('https://api.example');
    expect(outputs.executorFunction).toBe('pocketrun-dev-executor');
    expect(outputs.codeBucket).toBe(`pocketrun-dev-code-${ACCOUNT}`);
    expect(program.logProject).toBeUndefined();
    expect(program.executorCodeSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.existsSync(path.join(tmp, 'dist/fc/executor.zip'))).toBe(true);
    expect(types.filter((t) => t === T.fn)).toHaveLength(2);
  });

  test('infra/index.ts without a custom domain: says once how to add one, with this account\'s CNAME target', async () => {
    const { program, outputs, types, infos } = await runEntry({ 'pocketrun:region': REGION });
    expect(types).not.toContain(T.customDomain);
    expect(program.pageUrl).toBeUndefined();
    expect(outputs.customDomainCname).toBe(CNAME_TARGET);
    const hints = infos.filter((m) => m.includes('customDomain'));
    expect(hints).toHaveLength(1);
    const [hint] = hints;
    expect(hint).toContain('fcapp.run');
    expect(hint).toContain(`run.example.org CNAME ${CNAME_TARGET}`);
    expect(hint).toContain('dig +short CNAME run.example.org');
    expect(hint).toContain('pulumi config set customDomain run.example.org');
    expect(hint).toContain('pulumi config set customDomainCertificate < fullchain.pem');
    expect(hint).toContain('pulumi config set --secret customDomainPrivateKey < key.pem');
    expect(hint).toContain('customDomainCertificateId');
    // cn-hangzhou is in mainland China: the domain needs an ICP filing there.
    expect(hint).toContain('ICP filing');
  });

  test('infra/index.ts with a custom domain: the domain, pageUrl, and no hint', async () => {
    const { outputs, types, infos } = await runEntry({ 'pocketrun:region': 'cn-hongkong', 'pocketrun:customDomain': DOMAIN, 'pocketrun:customDomainCertificateId': '42' });
    expect(types.filter((t) => t === T.customDomain)).toHaveLength(1);
    expect(outputs.pageUrl).toBe(`https://${DOMAIN}/`);
    expect(outputs.customDomainCname).toBe(`${ACCOUNT}.cn-hongkong.fc.aliyuncs.com`);
    expect(infos.filter((m) => m.includes('customDomain'))).toEqual([]);
  });

  test('the bundles are deterministic and the executor carries the linux-x64 node-pty binary', async () => {
    const { packageBundle } = await import('../../infra/functionCode');
    const { REQUIRED_BUNDLE_FILES } = await import('../../infra/stack');
    const { listTree } = await import('../../infra/deterministicZip');
    const [a, b] = realBuild.dirs;
    for (const name of ['api', 'executor'] as const) {
      const first = packageBundle(path.join(a, name), [...REQUIRED_BUNDLE_FILES[name]]);
      const second = packageBundle(path.join(b, name), [...REQUIRED_BUNDLE_FILES[name]]);
      expect(second.sha256).toBe(first.sha256);
      expect(second.crc64).toBe(first.crc64);
    }
    const files = listTree(path.join(a, 'executor')).map((e) => e.name);
    expect(files).toContain('node_modules/@lydell/node-pty-linux-x64/pty.node');
    expect(files).toContain('index.js');
  });

  test('infra/index.ts builds the bundles and declares the stack under mocks', async () => {
    await jest.isolateModulesAsync(async () => {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const pulumi = require('@pulumi/pulumi') as typeof import('@pulumi/pulumi');
      const types: string[] = [];
      await pulumi.runtime.setMocks(
        {
          newResource: (a) => {
            types.push(a.type);
            return { id: `${a.name}-id`, state: { ...a.inputs, arn: `acs:ram::${ACCOUNT}:role/x`, httpTrigger: { urlInternet: 'https://api.example' } } };
          },
          call: () => ({ accountId: ACCOUNT }),
        },
        'pocketrun',
        'dev',
        false,
      );
      pulumi.runtime.setAllConfig({ 'pocketrun:region': REGION });
      const program = require('../../infra/index') as Record<string, any>;
      expect(await toPromise(program.apiUrl)).toBe('https://api.example');
      expect(await toPromise(program.executorFunction)).toBe('pocketrun-dev-executor');
      expect(program.executorCodeSha256).toMatch(/^[0-9a-f]{64}$/);
      await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
      expect(types.filter((t) => t === T.fn)).toHaveLength(2);
    });
  });
});
