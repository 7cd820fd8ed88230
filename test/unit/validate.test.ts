import { ApiError } from '../../core/apiError';
import { ConfigError } from '../../core/configReader';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import * as L from '../../core/limits';
import type { RunLimits } from '../../core/protocol';
import { RUN_LIMITS } from '../../core/runLimits';
import { parseCreateRun, parseInput, parseJsonBody, parseOutputQuery, parseResize, parseSeedRequest } from '../../core/validate';

const policy = limitPolicyFromEnv({});

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

test('defaults: python, no args, default limits, 80x24', () => {
  expect(parseCreateRun({ code: 'print(1)' }, policy)).toEqual({
    language: 'python',
    code: 'print(1)',
    args: [],
    cols: 80,
    rows: 24,
    stdin: '',
    tty: true,
    limits: {
      timeoutMs: RUN_LIMITS.timeoutMs.default,
      busyTimeoutMs: RUN_LIMITS.busyTimeoutMs.default,
      outputBytes: RUN_LIMITS.outputBytes.default,
      memoryBytes: RUN_LIMITS.memoryBytes.default,
      cpuMs: RUN_LIMITS.cpuMs.default,
      processes: RUN_LIMITS.processes.default,
      fileBytes: RUN_LIMITS.fileBytes.default,
      openFiles: RUN_LIMITS.openFiles.default,
      diskBytes: RUN_LIMITS.diskBytes.default,
    },
  });
});

test.each<[string, number, number]>([
  ['timeoutMs', 10 ** 12, RUN_LIMITS.timeoutMs.max],
  ['outputBytes', 10 ** 12, RUN_LIMITS.outputBytes.max],
  ['memoryBytes', 10 ** 12, RUN_LIMITS.memoryBytes.max],
  ['processes', 10 ** 6, RUN_LIMITS.processes.max],
  ['timeoutMs', 1500, 1500],
])('limits.%s = %d is clamped to %d', (name, asked, got) => {
  expect(parseCreateRun({ code: '', limits: { [name]: asked } }, policy).limits[name as keyof RunLimits]).toBe(got);
});

test('the configured maximum wins over the built-in one', () => {
  const tight = limitPolicyFromEnv({ RUN_TIMEOUT_MAX_MS: '5000' });
  expect(tight.timeoutMs).toEqual({ default: 5000, max: 5000 });
  expect(parseCreateRun({ code: '', limits: { timeoutMs: 60_000 } }, tight).limits.timeoutMs).toBe(5000);
});

test.each<[Record<string, string>, RegExp]>([
  [{ RUN_TIMEOUT_MAX_MS: 'soon' }, /RUN_TIMEOUT_MAX_MS: expected an integer/],
  [{ RUN_TIMEOUT_DEFAULT_MS: '9000', RUN_TIMEOUT_MAX_MS: '5000' }, /RUN_TIMEOUT_DEFAULT_MS: default 9000 is above the maximum/],
  [{ RUN_OUTPUT_MAX_BYTES: '0' }, /RUN_OUTPUT_MAX_BYTES/],
])('bad limit configuration %j is refused naming the variable', (env, message) => {
  expect(() => limitPolicyFromEnv(env)).toThrow(ConfigError);
  expect(() => limitPolicyFromEnv(env)).toThrow(message);
});

test.each<[string, () => unknown, number, RegExp]>([
  ['input data missing', () => parseInput({}), 400, /^data: is required/],
  ['input data empty', () => parseInput({ data: '' }), 400, /^data: must not be empty/],
  ['input data wrong type', () => parseInput({ data: 5 }), 400, /^data: expected a string/],
  ['input data too big', () => parseInput({ data: 'x'.repeat(L.MAX_INPUT_CHUNK_BYTES + 1) }), 413, /^data: larger/],
  ['code with multibyte chars over the cap', () => parseCreateRun({ code: '你'.repeat(22_000) }, policy), 413, /^code: larger/],
  ['NUL in an argument', () => parseCreateRun({ code: '', args: ['a\0b'] }, policy), 400, /^args\[0\]: must not contain NUL/],
  ['too many arguments', () => parseCreateRun({ code: '', args: Array(L.MAX_ARGS + 1).fill('a') }, policy), 400, /^args: at most/],
  ['cols too small', () => parseCreateRun({ code: '', cols: 1 }, policy), 400, /^cols: must be at least/],
  ['offset not a number', () => parseOutputQuery(new URLSearchParams('offset=abc')), 400, /^offset:/],
])('%s', (_name, fn, status, message) => {
  const err = errorOf(fn);
  expect(err.status).toBe(status);
  expect(err.message).toMatch(message);
});

test('waitMs is capped at the long-poll maximum', () => {
  expect(parseOutputQuery(new URLSearchParams('waitMs=999999999')).waitMs).toBe(L.MAX_LONG_POLL_MS);
});

const ID = 'A'.repeat(24);

/** [body, its parser, a valid body of that kind] */
const BODIES: Array<[string, (body: unknown) => unknown, Record<string, unknown>]> = [
  ['create', (b) => parseCreateRun(b, policy), { code: 'print(1)', language: 'python', args: [], stdin: '', cols: 80, rows: 24, limits: {} }],
  ['input', parseInput, { data: 'x\n' }],
  ['resize', parseResize, { cols: 80, rows: 24 }],
  ['seed run', (b) => parseSeedRequest(b, policy), { type: 'run', code: 'print(1)', language: 'python' }],
  ['seed input', (b) => parseSeedRequest(b, policy), { type: 'input', id: ID, input: 'x' }],
  ['seed output', (b) => parseSeedRequest(b, policy), { type: 'output', id: ID }],
  ['seed blocking', (b) => parseSeedRequest(b, policy), { code: 'print(1)', input: 'x', language: 'python' }],
];

/** Names a caller may send by mistake: another API's name, another case, and names every JS object inherits. */
const UNKNOWN = ['lang', 'Code', 'stdin_', 'data', 'stdin', 'input', 'type', '__proto__', 'constructor', 'toString', 'hasOwnProperty'];

describe.each(BODIES)('%s body', (kind, parse, valid) => {
  test('the valid body is accepted', () => {
    expect(() => parse(valid)).not.toThrow();
  });

  // `type` picks the seed's form, so on the blocking form it is no unknown field but another form.
  const unknown = UNKNOWN.filter((name) => !Object.hasOwn(valid, name) && !(kind === 'seed blocking' && name === 'type'));
  test.each(unknown.flatMap((name) => [[name, 'first'], [name, 'last']]))('an unknown field %s (sent %s): 400 naming it', (name, where) => {
    // Through JSON.parse, as bodies arrive: `__proto__` is then an own key, not the prototype.
    const fields = JSON.stringify(valid).slice(1, -1);
    const text = where === 'first' ? `{${JSON.stringify(name)}: 1, ${fields}}` : `{${fields}, ${JSON.stringify(name)}: 1}`;
    const err = errorOf(() => parse(JSON.parse(text)));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(new RegExp(`^${name.replace(/[$]/g, '\\$&')}: unknown field \\(known: `));
  });

  test('a 300-character unknown field is named, cut', () => {
    const err = errorOf(() => parse({ ...valid, ['k'.repeat(300)]: 1 }));
    expect(err.message).toMatch(/^k{64}…: unknown field/);
  });
});

test('{"lang": "bash", "code": …} is refused, not run as Python', () => {
  expect(errorOf(() => parseCreateRun({ lang: 'bash', code: 'echo hi' }, policy)).message).toMatch(/^lang: unknown field \(known: language, code, args, limits, cols, rows, stdin, tty\)/);
});

// Fields are read in the order sent, then the missing ones: the error names the field the caller got wrong.
test.each<[string, () => unknown, number, RegExp]>([
  ['resize {cols: "a"}', () => parseResize({ cols: 'a' }), 400, /^cols: expected an integer/],
  ['resize {rows: "a"}', () => parseResize({ rows: 'a' }), 400, /^rows: expected an integer/],
  ['resize {rows: "a", cols: "b"}', () => parseResize({ rows: 'a', cols: 'b' }), 400, /^rows: expected an integer/],
  ['resize {cols: 80}', () => parseResize({ cols: 80 }), 400, /^rows: is required/],
  ['resize {rows: 24}', () => parseResize({ rows: 24 }), 400, /^cols: is required/],
  ['resize {}', () => parseResize({}), 400, /^cols: is required/],
  ['resize {cols: 5, rows: 24}', () => parseResize({ cols: 5, rows: 24 }), 400, /^cols: must be at least 10/],
  ['create {code: 1, language: "cobol"}', () => parseCreateRun({ code: 1, language: 'cobol' }, policy), 400, /^code: expected a string/],
  ['create {language: "cobol", code: 1}', () => parseCreateRun({ language: 'cobol', code: 1 }, policy), 400, /^language: unknown language/],
  ['create {limits: {timeoutMs: "x"}} without code', () => parseCreateRun({ limits: { timeoutMs: 'x' } }, policy), 400, /^limits.timeoutMs: expected an integer/],
  ['create {stdin: 5, code: "1"}', () => parseCreateRun({ stdin: 5, code: '1' }, policy), 400, /^stdin: expected a string/],
  ['create {rows: 1, cols: 1}', () => parseCreateRun({ code: '', rows: 1, cols: 1 }, policy), 400, /^rows: must be at least 2/],
  ['create {args: [1]}', () => parseCreateRun({ code: '', args: [1] }, policy), 400, /^args\[0\]: expected a string/],
  ['input {data: null}', () => parseInput({ data: null }), 400, /^data: must not be empty/],
  ['seed input without input', () => parseSeedRequest({ type: 'input', id: ID }, policy), 400, /^input: is required/],
  ['seed input {input: 5}', () => parseSeedRequest({ type: 'input', id: ID, input: 5 }, policy), 400, /^input: expected a string/],
  ['seed input over the chunk cap', () => parseSeedRequest({ type: 'input', id: ID, input: 'x'.repeat(L.MAX_INPUT_CHUNK_BYTES) }, policy), 413, /^input: larger/],
  ['seed input without id', () => parseSeedRequest({ type: 'input', input: 'x' }, policy), 400, /^id: expected a run id string/],
  ['seed input {id: 5, input: 5}', () => parseSeedRequest({ type: 'input', id: 5, input: 5 }, policy), 400, /^id: expected a run id string/],
  ['seed input {input: 5, id: 5}', () => parseSeedRequest({ type: 'input', input: 5, id: 5 }, policy), 400, /^input: expected a string/],
  ['seed output without id', () => parseSeedRequest({ type: 'output' }, policy), 400, /^id: expected a run id string/],
  ['seed run without code', () => parseSeedRequest({ type: 'run' }, policy), 400, /^code: is required/],
  ['seed run {language: 3}', () => parseSeedRequest({ type: 'run', code: '1', language: 3 }, policy), 400, /^language: expected a string/],
  ['seed blocking {input: 5}', () => parseSeedRequest({ code: '1', input: 5 }, policy), 400, /^input: expected a string/],
  ['seed blocking without code', () => parseSeedRequest({ input: 'x' }, policy), 400, /^code: is required/],
  ['seed of an unknown type', () => parseSeedRequest({ type: 'dance' }, policy), 400, /^type: expected "run", "input" or "output"/],
  ['seed of type null', () => parseSeedRequest({ type: null, code: '1' }, policy), 400, /^type: expected/],
  ['seed not an object', () => parseSeedRequest([], policy), 400, /^body: expected a JSON object/],
])('%s', (_name, fn, status, message) => {
  const err = errorOf(fn);
  expect(err.status).toBe(status);
  expect(err.message).toMatch(message);
});

test.each<[string, unknown, unknown]>([
  ['a line gets its newline', { type: 'input', id: ID, input: 'seed' }, { type: 'input', id: ID, data: 'seed\n' }],
  ['a line keeps the one it has', { type: 'input', id: ID, input: 'seed\n' }, { type: 'input', id: ID, data: 'seed\n' }],
  ['an empty line is Enter', { type: 'input', id: ID, input: '' }, { type: 'input', id: ID, data: '\n' }],
  ['output', { type: 'output', id: ID }, { type: 'output', id: ID }],
])('seed: %s', (_name, body, request) => {
  expect(parseSeedRequest(body, policy)).toEqual(request);
});

test('the seed run and blocking forms get the /api defaults, blocking input as stdin', () => {
  const defaults = parseCreateRun({ code: 'print(1)' }, policy);
  expect(parseSeedRequest({ type: 'run', code: 'print(1)' }, policy)).toEqual({ type: 'run', run: defaults });
  expect(parseSeedRequest({ code: 'print(1)', input: '1 2\n', language: 'python' }, policy)).toEqual({ type: 'blocking', run: { ...defaults, stdin: '1 2\n' } });
});

test('resize: both sizes, clamped to their maxima', () => {
  expect(parseResize({ rows: 30, cols: 9999 })).toEqual({ cols: 500, rows: 30 });
});

test.each<[unknown, boolean | string]>([
  [undefined, true],
  [true, true],
  [false, false],
  ['no', 'tty: expected true or false'],
  [0, 'tty: expected true or false'],
])('tty %p', (tty, expected) => {
  const parse = () => parseCreateRun({ code: 'x', tty }, policy).tty;
  if (typeof expected === 'boolean') expect(parse()).toBe(expected);
  else expect(parse).toThrow(expected);
});

describe('parseJsonBody: text that would not reach the program as sent is refused, naming where', () => {
  const refusal = (raw: Buffer | string) => {
    try {
      parseJsonBody(Buffer.isBuffer(raw) ? raw : Buffer.from(raw));
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(400);
      return (err as ApiError).message;
    }
    throw new Error('taken');
  };

  test.each<[string, Buffer | string, RegExp]>([
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]), /^body: not valid UTF-8: byte 0xe9 at offset 2$/],
    ['a lone high surrogate escape in code', '{"code": "print(\\"\\ud83d\\")"}', /^code: contains a lone surrogate escape \(\\ud83d\)/],
    ['a lone low surrogate escape deep inside', '{"tests": [{"stdin": ""}, {"stdin": "a\\ude00"}]}', /^tests\[1\]\.stdin: contains a lone surrogate escape \(\\ude00\)/],
    ['a pair the wrong way round', '{"args": ["\\ude00\\ud83d"]}', /^args\[0\]: /],
    ['one in a key', '{"\\ud800": 1}', /^\ud800: /u],
    ['an escape in capitals', '{"stdin": "\\uDBFF"}', /^stdin: contains a lone surrogate escape \(\\udbff\)/],
    ['a body that is one', '"\\udfff"', /^body: /],
  ])('%s', (_name, raw, message) => {
    expect(refusal(raw)).toMatch(message);
  });

  test('an escaped backslash before u is no escape: the text \\ud800 is taken as sent', () => {
    expect(parseJsonBody(Buffer.from('{"stdin": "\\\\ud800"}'))).toEqual({ stdin: '\\ud800' });
  });

  test('a surrogate pair is one character, taken as sent', () => {
    expect(parseJsonBody(Buffer.from('{"code": "print(\\"\\ud83d\\ude00\\")", "stdin": "😀"}'))).toEqual({ code: 'print("😀")', stdin: '😀' });
  });
});
