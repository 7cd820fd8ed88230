/**
 * Each component refuses a bad argument combination at construction, naming the field, before anything reaches
 * the cloud.
 */
import * as pulumi from '@pulumi/pulumi';
import { ApiFunction } from '../../infra/apiFunction';
import { CustomDomain } from '../../infra/customDomain';
import { checkEnvironment } from '../../infra/customRuntime';
import { ExecutorFunction } from '../../infra/executorFunction';
import { FunctionCode } from '../../infra/functionCode';
import { functionNetwork } from '../../infra/functionNetwork';
import { Logging } from '../../infra/logging';
import { PrivateBucket } from '../../infra/privateBucket';
import { RunBuckets } from '../../infra/runBuckets';
import { ServiceRole } from '../../infra/serviceRole';

const runLimits = {
  timeoutDefaultMs: 60_000,
  timeoutMaxMs: 300_000,
  outputDefaultBytes: 1 << 20,
  outputMaxBytes: 8 << 20,
  memoryDefaultBytes: 256 << 20,
  memoryMaxBytes: 1024 << 20,
};
const code = { ossBucketName: 'b', ossObjectName: 'k.zip', checksum: '1' };
const network = functionNetwork({ region: 'cn-hangzhou', internet: false });

beforeAll(async () => {
  await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) }, 'pocketrun', 'unit', false);
});

afterEach(async () => {
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
});

const executorArgs = {
  functionName: 'x-executor',
  code,
  roleArn: 'acs:ram::1:role/x',
  memoryMb: 2048,
  cpu: 1,
  timeoutSeconds: 360,
  concurrency: 5,
  codeBucket: 'code',
  runsBucket: 'runs',
  network,
  runLimits,
  allowNetwork: false,
};

const apiArgs = {
  functionName: 'x-api',
  code,
  roleArn: 'acs:ram::1:role/y',
  memoryMb: 512,
  cpu: 0.5,
  timeoutSeconds: 60,
  instanceConcurrency: 10,
  codeBucket: 'code',
  runsBucket: 'runs',
  network,
  runLimits,
};

test.each<[string, () => unknown, RegExp]>([
  ['executor timeout not above the longest run', () => new ExecutorFunction('e1', { ...executorArgs, timeoutSeconds: 300 }), /timeoutSeconds: 300 s must cover the longest run/],
  ['executor timeout without the compile step', () => new ExecutorFunction('e1b', { ...executorArgs, timeoutSeconds: 331 }), /timeoutSeconds: 331 s must cover the longest run, its compile step and clean-up included \(at least 360 s for a 300 s maximum\)/],
  ['executor memory not above the largest run', () => new ExecutorFunction('e2', { ...executorArgs, memoryMb: 1024 }), /memoryMb: 1024 MB must be above/],
  ['executor network and ALLOW_NETWORK disagree', () => new ExecutorFunction('e3', { ...executorArgs, allowNetwork: true }), /network.internetAccess \(false\) and allowNetwork \(true\) must agree/],
  ['executor disk FC does not offer', () => new ExecutorFunction('e7', { ...executorArgs, diskMb: 1024 }), /diskMb: FC gives a function 512 or 10240 MB of disk, got 1024/],
  ['executor disk without the margin', () => new ExecutorFunction('e8', { ...executorArgs, runLimits: { ...runLimits, diskMaxBytes: 512 * 1024 * 1024 } }), /diskMb: 512 MB cannot hold a run of 512 MiB \(runLimits.diskMaxBytes\) and the executor's own 64 MiB/],
  ['executor concurrency zero', () => new ExecutorFunction('e4', { ...executorArgs, concurrency: 0 }), /concurrency: expected a whole number >= 1/],
  ['executor with six layers', () => new ExecutorFunction('e5', { ...executorArgs, layers: [1, 2, 3, 4, 5, 6].map((n) => `acs:fc:cn-hangzhou:1234567890123456:layers/l${n}/versions/1`) }), /layers: at most 5/],
  ['executor with a layer name for an ARN', () => new ExecutorFunction('e6', { ...executorArgs, layers: ['gcc'] }), /layers: expected layer version ARNs/],
  ['api serving one request per instance', () => new ApiFunction('a1', { ...apiArgs, instanceConcurrency: 1 }), /instanceConcurrency: expected 2..200/],
  ['api timeout inside a long poll', () => new ApiFunction('a2', { ...apiArgs, timeoutSeconds: 20 }), /timeoutSeconds: 20 s must be above the longest output long poll/],
  ['api with internet', () => new ApiFunction('a3', { ...apiArgs, network: functionNetwork({ region: 'cn-hangzhou', internet: true }) }), /network.internetAccess: the API needs no internet/],
  ['role with a wildcard action', () => new ServiceRole('r1', { roleName: 'r1', trustedService: 'fc.aliyuncs.com', description: 'd', statements: [{ actions: ['oss:*'], resources: ['acs:oss:*:1:b/*'] }] }), /statements\[0\].actions: "oss:\*" is not one explicit action/],
  ['role on every resource', () => new ServiceRole('r2', { roleName: 'r2', trustedService: 'fc.aliyuncs.com', description: 'd', statements: [{ actions: ['oss:GetObject'], resources: ['*'] }] }), /statements\[0\].resources: expected an explicit acs: ARN/],
  ['role without statements', () => new ServiceRole('r3', { roleName: 'r3', trustedService: 'fc.aliyuncs.com', description: 'd', statements: [] }), /statements: at least one statement/],
  ['role name with spaces', () => new ServiceRole('r4', { roleName: 'a b', trustedService: 'fc.aliyuncs.com', description: 'd', statements: [{ actions: ['oss:GetObject'], resources: ['acs:oss:*:1:b/*'] }] }), /roleName: expected 1..64/],
  ['bucket rule on the whole bucket', () => new PrivateBucket('b1', { bucketName: 'b1', purpose: 'p', expiry: [{ id: 'all', prefix: '', days: 1 }] }), /expiry\[all\].prefix: must not be empty/],
  ['bucket rule of zero days', () => new PrivateBucket('b2', { bucketName: 'b2', purpose: 'p', expiry: [{ id: 'r', prefix: 'runs/', days: 0 }] }), /expiry\[r\].days/],
  ['run buckets with fractional days', () => new RunBuckets('rb', { codeBucketName: 'c', runsBucketName: 'r', runsLifecycleDays: 0.5, codeLifecycleDays: 1 }), /runsLifecycleDays: expected a whole number of days/],
  ['code key prefix without a slash', () => new FunctionCode('c1', { bundleDir: '/nonexistent', requiredFiles: [], bucket: 'b', keyPrefix: 'functions', zipPath: '/tmp/x.zip' }), /keyPrefix: expected a relative prefix ending in '\/'/],
  ['code from a missing folder', () => new FunctionCode('c2', { bundleDir: '/nonexistent/bundle', requiredFiles: [], bucket: 'b', keyPrefix: 'f/', zipPath: '/tmp/x.zip' }), /bundleDir: \/nonexistent\/bundle is not a folder/],
  ['log retention above SLS maximum', () => new Logging('l1', { projectName: 'p', logstoreName: 'functions', retentionDays: 4000 }), /retentionDays: expected a whole number from 1 to 3650/],
  ['network for a malformed region', () => functionNetwork({ region: 'Hangzhou', internet: false }), /region: expected a region id/],
  ['custom domain with a scheme', () => new CustomDomain('d1', { domainName: 'https://run.example.org', functionName: 'x-api' }), /domainName: expected a host name like run.example.org, without a scheme/],
  ['custom domain on fcapp.run', () => new CustomDomain('d2', { domainName: 'x.cn-hangzhou.fcapp.run', functionName: 'x-api' }), /domainName: .*fcapp.run/],
  [
    'custom domain with a key that is not PEM',
    () => new CustomDomain('d3', { domainName: 'run.example.org', functionName: 'x-api', certName: 'c', tls: { certificate: '-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----', privateKey: 'hunter2' } }),
    /tls.privateKey: expected a PEM private key \(not shown\)$/,
  ],
  [
    'custom domain with a PEM certificate and no certName',
    () => new CustomDomain('d4', { domainName: 'run.example.org', functionName: 'x-api', tls: { certificate: '-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----', privateKey: '-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----' } }),
    /certName: required with a PEM certificate/,
  ],
  ['custom domain with a named certificate id', () => new CustomDomain('d5', { domainName: 'run.example.org', functionName: 'x-api', tls: { certificateId: 'my-cert' } }), /tls.certificateId: expected a numeric/],
  ['a credential in an environment', () => checkEnvironment('F', { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI…' }), /environmentVariables.ALIBABA_CLOUD_ACCESS_KEY_ID: credentials never go into the environment/],
])('%s', (_label, build, message) => {
  expect(build).toThrow(message);
});
