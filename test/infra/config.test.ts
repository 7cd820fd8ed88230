/**
 * Stack configuration: defaults, conversions and every validation rule, table-driven, without Pulumi. The stack
 * files in the repository must parse too.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EXECUTOR_DISK_MARGIN_MIB, FUNCTION_DISK_SIZES_MIB, RUN_LIMITS } from '../../core/runLimits';
import { CONFIG_KEYS, parseStackConfig, StackConfigError, type RawStackConfig } from '../../infra/config';
import { runLimitEnvironment } from '../../infra/customRuntime';

const ROOT = path.resolve(__dirname, '../..');
const base: RawStackConfig = { region: 'cn-hangzhou' };

function parse(extra: RawStackConfig, stack = 'dev') {
  return parseStackConfig({ ...base, ...extra }, { stack });
}

function issuesOf(extra: RawStackConfig, stack = 'dev'): StackConfigError {
  try {
    parse(extra, stack);
  } catch (err) {
    if (err instanceof StackConfigError) return err;
    throw err;
  }
  throw new Error(`expected a StackConfigError for ${JSON.stringify(extra)}`);
}

/** Reads `config:` of a Pulumi.<stack>.yaml into raw values without the namespace. */
function stackFile(name: string): RawStackConfig {
  // js-yaml ships with @pulumi/pulumi.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const yaml = require('js-yaml') as { load(text: string): unknown };
  const doc = yaml.load(fs.readFileSync(path.join(ROOT, name), 'utf8')) as { config: Record<string, unknown> };
  const raw: RawStackConfig = {};
  for (const [key, value] of Object.entries(doc.config)) {
    expect(key.startsWith('pocketrun:')).toBe(true);
    raw[key.slice('pocketrun:'.length)] = value as string;
  }
  return raw;
}

describe('parseStackConfig defaults', () => {
  test('only the region is required; the rest defaults to the platform limits', () => {
    const config = parse({});
    expect(config).toEqual({
      region: 'cn-hangzhou',
      namePrefix: 'pocketrun-dev',
      runsLifecycleDays: 1,
      codeLifecycleDays: 7,
      executor: { memoryMb: 2048, cpu: 1, diskMb: 512, timeoutSeconds: RUN_LIMITS.timeoutMs.max / 1000 + 60, concurrency: 10, layers: [] },
      api: { memoryMb: 512, cpu: 0.5, timeoutSeconds: 60, instanceConcurrency: 20 },
      runLimits: {
        timeoutDefaultMs: RUN_LIMITS.timeoutMs.default,
        timeoutMaxMs: RUN_LIMITS.timeoutMs.max,
        outputDefaultBytes: RUN_LIMITS.outputBytes.default,
        outputMaxBytes: RUN_LIMITS.outputBytes.max,
        memoryDefaultBytes: RUN_LIMITS.memoryBytes.default,
        memoryMaxBytes: RUN_LIMITS.memoryBytes.max,
      },
      apiToken: undefined,
      requireApiToken: false,
      corsOrigin: undefined,
      customDomain: undefined,
      allowNetwork: false,
      logging: true,
      logRetentionDays: 7,
    });
  });

  test('strings from Pulumi are converted; units become the handlers\' units', () => {
    const config = parse({
      runTimeoutDefaultSeconds: '10',
      runTimeoutMaxSeconds: '20',
      runOutputDefaultKib: '64',
      runOutputMaxKib: '128',
      runMemoryDefaultMib: '64',
      runMemoryMaxMib: '128',
      executorMemoryMb: '512',
      executorCpu: '0.25',
      executorTimeoutSeconds: '80',
      allowNetwork: 'true',
      logging: 'false',
    });
    expect(config.runLimits).toEqual({
      timeoutDefaultMs: 10_000,
      timeoutMaxMs: 20_000,
      outputDefaultBytes: 64 * 1024,
      outputMaxBytes: 128 * 1024,
      memoryDefaultBytes: 64 * 1024 * 1024,
      memoryMaxBytes: 128 * 1024 * 1024,
    });
    expect(config.executor).toEqual({ memoryMb: 512, cpu: 0.25, diskMb: 512, timeoutSeconds: 80, concurrency: 10, layers: [] });
    expect(config.allowNetwork).toBe(true);
    expect(config.logging).toBe(false);
  });

  test('the executor timeout follows the run maximum when not set', () => {
    expect(parse({ runTimeoutMaxSeconds: '120' }).executor.timeoutSeconds).toBe(180);
  });

  test('a valid token is kept for hashing', () => {
    expect(parse({ apiToken: 'x'.repeat(32), requireApiToken: 'true' }).apiToken).toBe('x'.repeat(32));
  });

  test('the default prefix follows the stack name', () => {
    expect(parse({}, 'Contest_2025').namePrefix).toBe('pocketrun-contest-2025');
  });

  test('every documented key is accepted', () => {
    const all: RawStackConfig = {};
    for (const key of Object.keys(CONFIG_KEYS)) all[key] = undefined;
    expect(() => parseStackConfig({ ...all, region: 'cn-shanghai' }, { stack: 'dev' })).not.toThrow();
  });
});

describe('parseStackConfig errors name the key', () => {
  const cases: Array<[string, RawStackConfig, string, RegExp]> = [
    ['missing region', { region: undefined }, 'region', /required/],
    ['malformed region', { region: 'Hangzhou' }, 'region', /region id/],
    ['lifecycle days zero', { runsLifecycleDays: '0' }, 'runsLifecycleDays', /from 1 to 3650/],
    ['lifecycle days fractional', { codeLifecycleDays: '1.5' }, 'codeLifecycleDays', /whole number/],
    ['lifecycle days not a number', { runsLifecycleDays: 'one' }, 'runsLifecycleDays', /expected a number/],
    ['lifecycle days negative', { codeLifecycleDays: '-3' }, 'codeLifecycleDays', /from 1 to 3650/],
    ['memory not a multiple of 64', { executorMemoryMb: '2000' }, 'executorMemoryMb', /multiple of 64/],
    ['api memory not a multiple of 64', { apiMemoryMb: '500' }, 'apiMemoryMb', /multiple of 64/],
    ['memory below FC minimum', { executorMemoryMb: '64' }, 'executorMemoryMb', /from 128 to 32768/],
    ['cpu not a multiple of 0.05', { executorCpu: '0.33' }, 'executorCpu', /multiple of 0.05/],
    ['too much memory per cpu (1:8)', { executorCpu: '0.25' }, 'executorCpu', /between 1 and 4/],
    ['too little memory per cpu (2:1)', { executorCpu: '4' }, 'executorCpu', /between 1 and 4/],
    ['api cpu/memory ratio', { apiCpu: '2' }, 'apiCpu', /between 1 and 4/],
    ['executor timeout below the run maximum', { executorTimeoutSeconds: '200' }, 'executorTimeoutSeconds', /below the longest run/],
    ['executor timeout equal to the run maximum', { executorTimeoutSeconds: '300' }, 'executorTimeoutSeconds', /at least 360/],
    // A compiled program may run its whole wall limit after a compile step that took its whole budget.
    ['executor timeout without room for the compile step', { executorTimeoutSeconds: '340' }, 'executorTimeoutSeconds', /the compile step \(30 s\), then the program \(runTimeoutMaxSeconds = 300\).*at least 360/],
    ['executor timeout for a raised run maximum', { runTimeoutMaxSeconds: '600', executorTimeoutSeconds: '640' }, 'executorTimeoutSeconds', /at least 660/],
    ['executor timeout above FC maximum', { executorTimeoutSeconds: '100000' }, 'executorTimeoutSeconds', /from 1 to 86400/],
    ['executor memory cannot hold the largest run', { executorMemoryMb: '1024' }, 'executorMemoryMb', /runMemoryMaxMib/],
    ['executor concurrency zero', { executorConcurrency: '0' }, 'executorConcurrency', /from 1 to 1000/],
    ['api instance concurrency 1', { apiInstanceConcurrency: '1' }, 'apiInstanceConcurrency', /from 2 to 200/],
    ['api timeout below long poll', { apiTimeoutSeconds: '20' }, 'apiTimeoutSeconds', /long polls/],
    ['run timeout default above maximum', { runTimeoutDefaultSeconds: '400' }, 'runTimeoutDefaultSeconds', /above runTimeoutMaxSeconds/],
    ['run output default above maximum', { runOutputDefaultKib: '9000' }, 'runOutputDefaultKib', /above runOutputMaxKib/],
    ['run memory default above maximum', { runMemoryDefaultMib: '2048' }, 'runMemoryDefaultMib', /above runMemoryMaxMib/],
    ['short token', { apiToken: 'short' }, 'apiToken', /at least 32 characters/],
    ['token with spaces', { apiToken: `${'a'.repeat(20)} ${'b'.repeat(20)}` }, 'apiToken', /without spaces/],
    ['token required but missing', { requireApiToken: 'true' }, 'apiToken', /required by requireApiToken/],
    ['bool not a bool', { allowNetwork: 'yes' }, 'allowNetwork', /true or false/],
    ['cors origin with a path', { corsOrigin: 'https://example.org/app' }, 'corsOrigin', /one origin/],
    ['cors wildcard', { corsOrigin: '*' }, 'corsOrigin', /no wildcard/],
    ['prefix with uppercase', { namePrefix: 'PocketRun' }, 'namePrefix', /lowercase/],
    ['prefix too long', { namePrefix: 'p'.repeat(33) }, 'namePrefix', /3 to 32/],
    ['log retention zero', { logRetentionDays: '0' }, 'logRetentionDays', /from 1 to 3650/],
    ['unknown key (typo)', { executorMemory: '2048' }, 'executorMemory', /unknown key/],
  ];

  test.each(cases)('%s', (_label, extra, key, message) => {
    const error = issuesOf(extra);
    expect(error.keys).toContain(key);
    const issue = error.issues.find((i) => i.key === key);
    expect(issue?.message).toMatch(message);
    expect(error.message).toContain(`pocketrun:${key}`);
  });

  test('every problem is reported at once', () => {
    const error = issuesOf({ runsLifecycleDays: '0', executorMemoryMb: '1000', executorTimeoutSeconds: '10' });
    expect(error.keys).toEqual(expect.arrayContaining(['runsLifecycleDays', 'executorMemoryMb', 'executorTimeoutSeconds']));
    expect(error.message.split('\n').length).toBeGreaterThanOrEqual(4);
  });

  test('the token never appears in an error', () => {
    const token = 'sekrit sekrit sekrit sekrit sekrit';
    const error = issuesOf({ apiToken: token });
    expect(error.message).not.toContain('sekrit');
  });
});

const CERT = (body = 'A') => `-----BEGIN CERTIFICATE-----\nMIIB${body.repeat(64)}\n${body.repeat(20)}==\n-----END CERTIFICATE-----`;
const KEY_SECRET = 'TOPSECRETKEYMATERIAL';
const KEY = `-----BEGIN PRIVATE KEY-----\nMIIE${KEY_SECRET}${'q'.repeat(44)}\n${'r'.repeat(30)}=\n-----END PRIVATE KEY-----`;

describe('custom domain and its certificate', () => {
  test('a domain alone: HTTP only', () => {
    expect(parse({ customDomain: 'run.example.org' }).customDomain).toEqual({ name: 'run.example.org' });
    expect(parse({ customDomain: ' xn--bcher-kva.example.org ' }).customDomain).toEqual({ name: 'xn--bcher-kva.example.org' });
  });

  test('a domain with a PEM chain and its key; Windows line breaks become Unix ones', () => {
    const chain = `${CERT('A')}\n${CERT('B')}\n`;
    expect(parse({ customDomain: 'run.example.org', customDomainCertificate: chain, customDomainPrivateKey: KEY }).customDomain).toEqual({
      name: 'run.example.org',
      tls: { certificate: chain.trim(), privateKey: KEY },
    });
    const crlf = parse({ customDomain: 'run.example.org', customDomainCertificate: CERT().replace(/\n/g, '\r\n'), customDomainPrivateKey: KEY.replace(/\n/g, '\r\n') });
    expect(crlf.customDomain?.tls).toEqual({ certificate: CERT(), privateKey: KEY });
    for (const kind of ['RSA PRIVATE KEY', 'EC PRIVATE KEY']) {
      const key = KEY.replace(/PRIVATE KEY/g, kind);
      expect(parse({ customDomain: 'run.example.org', customDomainCertificate: CERT(), customDomainPrivateKey: key }).customDomain?.tls).toEqual({ certificate: CERT(), privateKey: key });
    }
  });

  test('a domain with a Certificate Management Service id', () => {
    expect(parse({ customDomain: 'run.example.org', customDomainCertificateId: '12345678' }).customDomain).toEqual({ name: 'run.example.org', tls: { certificateId: '12345678' } });
  });

  const hostNames: Array<[string, string, RegExp]> = [
    ['with a scheme', 'https://run.example.org', /without a scheme/],
    ['with a path', 'run.example.org/app', /without a path/],
    ['with a port', 'run.example.org:8443', /without a port/],
    ['a wildcard', '*.example.org', /no wildcard/],
    ['fcapp.run', 'pocketrun-dev-api-abcdefghij.cn-hangzhou.fcapp.run', /fcapp\.run/],
    ['the FC endpoint itself', '1234567890123456.cn-hangzhou.fc.aliyuncs.com', /aliyuncs\.com/],
    ['uppercase', 'Run.Example.org', /lowercase/],
    ['a single label', 'localhost', /at least one dot/],
    ['an IPv4 address', '10.0.0.1', /not an IP address/],
    ['an IPv6 address', '[::1]', /not an IP address/],
    ['a label starting with a hyphen', '-run.example.org', /labels of 1 to 63/],
    ['an underscore', 'run_1.example.org', /labels of 1 to 63/],
    ['an empty label', 'run..example.org', /labels of 1 to 63/],
    ['a label of 64 characters', `${'a'.repeat(64)}.example.org`, /labels of 1 to 63/],
    ['a numeric top-level domain', 'run.example.123', /top-level domain/],
    ['a trailing dot', 'run.example.org.', /trailing dot/],
    ['international characters', 'bücher.example.org', /punycode/],
  ];
  test.each(hostNames)('customDomain %s is refused, naming the key', (_label, name, message) => {
    const error = issuesOf({ customDomain: name });
    expect(error.keys).toEqual(['customDomain']);
    expect(error.issues[0].message).toMatch(message);
    expect(error.message).toContain('pocketrun:customDomain: expected a host name like run.example.org');
  });

  const combinations: Array<[string, RawStackConfig, string, RegExp]> = [
    ['certificate without key', { customDomain: 'run.example.org', customDomainCertificate: CERT() }, 'customDomainPrivateKey', /required with customDomainCertificate/],
    ['key without certificate', { customDomain: 'run.example.org', customDomainPrivateKey: KEY }, 'customDomainCertificate', /required with customDomainPrivateKey/],
    [
      'certificate and certificate id',
      { customDomain: 'run.example.org', customDomainCertificate: CERT(), customDomainPrivateKey: KEY, customDomainCertificateId: '12345678' },
      'customDomainCertificateId',
      /not both/,
    ],
    ['key and certificate id', { customDomain: 'run.example.org', customDomainPrivateKey: KEY, customDomainCertificateId: '1' }, 'customDomainCertificateId', /not both/],
    ['certificate id without a domain', { customDomainCertificateId: '12345678' }, 'customDomain', /required by customDomainCertificateId/],
    ['certificate and key without a domain', { customDomainCertificate: CERT(), customDomainPrivateKey: KEY }, 'customDomain', /required by customDomainCertificate and customDomainPrivateKey/],
    ['a certificate id that is not a number', { customDomain: 'run.example.org', customDomainCertificateId: 'cas-123' }, 'customDomainCertificateId', /numeric certificate id/],
    ['a certificate that is not PEM', { customDomain: 'run.example.org', customDomainCertificate: 'MIIBxyz', customDomainPrivateKey: KEY }, 'customDomainCertificate', /PEM certificate chain/],
    [
      'a certificate with escaped line breaks',
      { customDomain: 'run.example.org', customDomainCertificate: CERT().replace(/\n/g, '\\n'), customDomainPrivateKey: KEY },
      'customDomainCertificate',
      /real line breaks/,
    ],
    ['the key in the certificate key', { customDomain: 'run.example.org', customDomainCertificate: KEY, customDomainPrivateKey: KEY }, 'customDomainCertificate', /holds a private key/],
    ['a certificate in the key', { customDomain: 'run.example.org', customDomainCertificate: CERT(), customDomainPrivateKey: CERT() }, 'customDomainPrivateKey', /one PEM private key/],
    [
      'an encrypted key',
      { customDomain: 'run.example.org', customDomainCertificate: CERT(), customDomainPrivateKey: KEY.replace(/PRIVATE KEY/g, 'ENCRYPTED PRIVATE KEY') },
      'customDomainPrivateKey',
      /encrypted/,
    ],
  ];
  test.each(combinations)('%s: refused, naming %s', (_label, extra, key, message) => {
    const error = issuesOf(extra);
    expect(error.keys).toContain(key);
    expect(error.issues.find((i) => i.key === key)?.message).toMatch(message);
    expect(error.message).toContain(`pocketrun:${key}:`);
    // Neither a key nor a certificate is ever shown.
    expect(error.message).not.toContain(KEY_SECRET);
    expect(error.message).not.toContain('MIIB');
  });

  test('every problem is reported at once, the key never', () => {
    const error = issuesOf({ customDomain: 'https://run.example.org', customDomainPrivateKey: `${KEY}\nnot pem`, customDomainCertificateId: '12345678' });
    expect(error.keys).toEqual(expect.arrayContaining(['customDomain', 'customDomainPrivateKey', 'customDomainCertificate', 'customDomainCertificateId']));
    expect(error.message).not.toContain(KEY_SECRET);
  });
});

const LAYER = (name: string, version = 1, region = 'cn-hangzhou', owner = '1234567890123456') => `acs:fc:${region}:${owner}:layers/${name}/versions/${version}`;

describe('executorLayers', () => {
  test('unset or empty: no layers', () => {
    expect(parse({}).executor.layers).toEqual([]);
    expect(parse({ executorLayers: '' }).executor.layers).toEqual([]);
    expect(parse({ executorLayers: '[]' }).executor.layers).toEqual([]);
  });

  test.each<[string, RawStackConfig['executorLayers'], string[]]>([
    // pulumi config set --path 'executorLayers[0]' …: Pulumi hands the program the list as its JSON text.
    ['a JSON array (pulumi config set --path)', JSON.stringify([LAYER('gcc'), LAYER('jdk', 3)]), [LAYER('gcc'), LAYER('jdk', 3)]],
    ['a YAML list', [LAYER('gcc'), LAYER('jdk', 3)], [LAYER('gcc'), LAYER('jdk', 3)]],
    ['a comma-separated string, spaces trimmed', ` ${LAYER('gcc')} , ${LAYER('go', 12)} `, [LAYER('gcc'), LAYER('go', 12)]],
    ['one ARN', LAYER('rust'), [LAYER('rust')]],
    ['an official layer, any region', LAYER('Python39-Aliyun-SDK', 3, 'cn-shanghai', 'official'), [LAYER('Python39-Aliyun-SDK', 3, 'cn-shanghai', 'official')]],
    ['five layers, order kept', ['e', 'd', 'c', 'b', 'a'].map((n) => LAYER(n)), ['e', 'd', 'c', 'b', 'a'].map((n) => LAYER(n))],
    ['names with _ and -', LAYER('_jdk-17_x64'), [LAYER('_jdk-17_x64')]],
  ])('%s', (_label, value, expected) => {
    expect(parse({ executorLayers: value }).executor.layers).toEqual(expected);
  });

  test.each<[string, RawStackConfig['executorLayers'], RegExp]>([
    ['six layers', [1, 2, 3, 4, 5, 6].map((n) => LAYER(`l${n}`)), /at most 5 layers per function .*got 6/],
    ['a layer name, not an ARN', 'gcc', /entry 1: expected a layer version ARN like acs:fc:cn-hangzhou:<account id>:layers\/gcc\/versions\/1.*"gcc"/],
    ['a layer ARN without its version', `${LAYER('gcc')},acs:fc:cn-hangzhou:1234567890123456:layers/jdk`, /entry 2: expected a layer version ARN/],
    ['version zero', LAYER('gcc', 0), /expected a layer version ARN/],
    ['a function ARN', 'acs:fc:cn-hangzhou:1234567890123456:functions/x', /expected a layer version ARN/],
    ['a name starting with a digit', LAYER('9gcc'), /expected a layer version ARN/],
    ['an account that is not a number', LAYER('gcc', 1, 'cn-hangzhou', 'me'), /expected a layer version ARN/],
    ['another region', LAYER('gcc', 1, 'cn-shanghai'), /entry 1: the layer is in cn-shanghai, the stack in cn-hangzhou/],
    ['one layer twice', [LAYER('gcc', 1), LAYER('jdk'), LAYER('gcc', 2)], /entry 3: layer gcc is already entry 1/],
    ['a stray comma', `${LAYER('gcc')},`, /entry 2 is empty/],
    ['broken JSON', '["acs:fc:', /expected a JSON array of strings or a comma-separated list/],
    ['JSON with a number', '[1]', /entry 1: expected a string, got 1/],
    ['a number', 5, /expected a list of strings, got 5/],
  ])('%s: refused, naming the key', (_label, value, message) => {
    const error = issuesOf({ executorLayers: value });
    expect(error.keys).toEqual(['executorLayers']);
    expect(error.issues[0].message).toMatch(message);
    expect(error.message).toContain('pocketrun:executorLayers');
  });

  test('every bad entry is reported at once', () => {
    const error = issuesOf({ executorLayers: ['gcc', LAYER('jdk', 1, 'eu-central-1'), 'go'] });
    expect(error.keys).toEqual(['executorLayers', 'executorLayers', 'executorLayers']);
    expect(error.issues.map((i) => i.message.slice(0, 7))).toEqual(['entry 1', 'entry 2', 'entry 3']);
  });
});

describe('stack files', () => {
  test('Pulumi.dev.yaml holds every key and parses', () => {
    const raw = stackFile('Pulumi.dev.yaml');
    const text = fs.readFileSync(path.join(ROOT, 'Pulumi.dev.yaml'), 'utf8');
    // apiToken is a secret: present as documentation, not as a clear value.
    for (const key of Object.keys(CONFIG_KEYS)) expect(text).toContain(`pocketrun:${key}:`);
    const config = parseStackConfig(raw, { stack: 'dev' });
    expect(config.allowNetwork).toBe(false);
    expect(config.requireApiToken).toBe(false);
  });

  test('Pulumi.contest.yaml: more executors, shorter lifecycle, token required', () => {
    const dev = parseStackConfig(stackFile('Pulumi.dev.yaml'), { stack: 'dev' });
    const raw = stackFile('Pulumi.contest.yaml');
    expect(() => parseStackConfig(raw, { stack: 'contest' })).toThrow(/pocketrun:apiToken: required by requireApiToken/);
    const contest = parseStackConfig({ ...raw, apiToken: 'c'.repeat(48) }, { stack: 'contest' });
    expect(contest.executor.concurrency).toBeGreaterThan(dev.executor.concurrency);
    expect(contest.runsLifecycleDays).toBeLessThanOrEqual(dev.runsLifecycleDays);
    expect(contest.codeLifecycleDays).toBeLessThan(dev.codeLifecycleDays);
    expect(contest.requireApiToken).toBe(true);
    expect(contest.allowNetwork).toBe(false);
  });

  test('Pulumi.yaml points the nodejs runtime at infra/', () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const yaml = require('js-yaml') as { load(text: string): any };
    const project = yaml.load(fs.readFileSync(path.join(ROOT, 'Pulumi.yaml'), 'utf8'));
    expect(project.name).toBe('pocketrun');
    expect(project.runtime.name).toBe('nodejs');
    expect(project.main).toBe('infra/');
    expect(fs.existsSync(path.join(ROOT, project.main, 'index.ts'))).toBe(true);
  });
});

describe('run limits added later (CPU time, disk): written only when set', () => {
  test('unset: no setting, so the functions keep their built-in values and deployed stacks do not change', () => {
    const { runLimits } = parse({});
    expect(Object.keys(runLimitEnvironment(runLimits)).sort()).toEqual([
      'RUN_MEMORY_DEFAULT_BYTES',
      'RUN_MEMORY_MAX_BYTES',
      'RUN_OUTPUT_DEFAULT_BYTES',
      'RUN_OUTPUT_MAX_BYTES',
      'RUN_TIMEOUT_DEFAULT_MS',
      'RUN_TIMEOUT_MAX_MS',
    ]);
  });

  test('set: converted to the handlers\' units, only the keys that are set', () => {
    const { runLimits } = parse({ runCpuMaxSeconds: '120', runDiskDefaultMib: '32' });
    expect(runLimits).toMatchObject({ cpuMaxMs: 120_000, diskDefaultBytes: 32 * 1024 * 1024 });
    expect(runLimits.cpuDefaultMs).toBeUndefined();
    expect(runLimitEnvironment(runLimits)).toMatchObject({ RUN_CPU_MAX_MS: '120000', RUN_DISK_DEFAULT_BYTES: String(32 * 1024 * 1024) });
    expect(runLimitEnvironment(runLimits).RUN_CPU_DEFAULT_MS).toBeUndefined();
  });

  test.each<[RawStackConfig, string, RegExp]>([
    [{ runDiskMaxMib: '20000' }, 'runDiskMaxMib', /from 1 to 10176/],
    [{ runCpuDefaultSeconds: '400' }, 'runCpuDefaultSeconds', /the default \(400\) is above runCpuMaxSeconds \(300\)/],
    [{ runCpuMaxSeconds: '30', runCpuDefaultSeconds: '60' }, 'runCpuDefaultSeconds', /above runCpuMaxSeconds \(30\)/],
    [{ runCpuMaxSeconds: '0' }, 'runCpuMaxSeconds', /from 1 to 3600/],
  ])('%j is refused naming %s', (extra, key, message) => {
    const error = issuesOf(extra);
    expect(error.keys).toContain(key);
    expect(error.issues.find((i) => i.key === key)?.message).toMatch(message);
  });

  test('a lower maximum alone takes the default down with it, as the handlers do', () => {
    expect(parse({ runCpuMaxSeconds: '30' }).runLimits).toMatchObject({ cpuMaxMs: 30_000 });
    expect(parse({ runTimeoutMaxSeconds: '30' }).runLimits).toMatchObject({ timeoutDefaultMs: 30_000, timeoutMaxMs: 30_000 });
  });
});

describe('the executor disk holds the largest run disk limit and the executor\'s own margin', () => {
  const MiB = 1024 * 1024;

  test('the built-in maximum fits the smallest disk with the margin, so an unset runDiskMaxMib is always safe', () => {
    expect(RUN_LIMITS.diskBytes.max / MiB + EXECUTOR_DISK_MARGIN_MIB).toBeLessThanOrEqual(Math.min(...FUNCTION_DISK_SIZES_MIB));
    expect(parse({}).executor.diskMb).toBe(FUNCTION_DISK_SIZES_MIB[0]);
  });

  // [keys, the executor disk it gets, or the key refused and why]
  test.each<[RawStackConfig, { diskMb: number } | { key: string; message: RegExp }]>([
    [{}, { diskMb: 512 }],
    [{ runDiskMaxMib: String(512 - EXECUTOR_DISK_MARGIN_MIB) }, { diskMb: 512 }],
    [{ runDiskMaxMib: String(512 - EXECUTOR_DISK_MARGIN_MIB + 1) }, { key: 'runDiskMaxMib', message: /less than its 64 MiB on its 512 MB disk \(executorDiskMb\).*use at most 448, or executorDiskMb 10240/ }],
    [{ runDiskMaxMib: '512' }, { key: 'runDiskMaxMib', message: /512 MiB leaves the executor less than its 64 MiB/ }],
    [{ runDiskMaxMib: '1024' }, { key: 'runDiskMaxMib', message: /use at most 448, or executorDiskMb 10240/ }],
    [{ runDiskMaxMib: '1024', executorDiskMb: '10240' }, { diskMb: 10240 }],
    [{ runDiskMaxMib: String(10240 - EXECUTOR_DISK_MARGIN_MIB), executorDiskMb: '10240' }, { diskMb: 10240 }],
    [{ runDiskMaxMib: String(10240 - EXECUTOR_DISK_MARGIN_MIB + 1), executorDiskMb: '10240' }, { key: 'runDiskMaxMib', message: /from 1 to 10176/ }],
    [{ runDiskDefaultMib: '500' }, { key: 'runDiskDefaultMib', message: /above runDiskMaxMib \(448\)/ }],
    [{ executorDiskMb: '10240' }, { diskMb: 10240 }],
    [{ executorDiskMb: '1024' }, { key: 'executorDiskMb', message: /FC gives a function 512 or 10240 MB of disk, got 1024/ }],
    [{ executorDiskMb: '256' }, { key: 'executorDiskMb', message: /from 512 to 10240/ }],
    [{ executorDiskMb: 'big' }, { key: 'executorDiskMb', message: /expected a number/ }],
  ])('%j: %j', (extra, expected) => {
    if ('diskMb' in expected) {
      expect(parse(extra).executor.diskMb).toBe(expected.diskMb);
      return;
    }
    const error = issuesOf(extra);
    expect(error.keys).toContain(expected.key);
    expect(error.issues.find((i) => i.key === expected.key)?.message).toMatch(expected.message);
  });
});
