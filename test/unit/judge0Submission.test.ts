/**
 * A Judge0 submission's numbers and booleans (handlers/judge0/judge0Submission.ts, railsCast.ts): read as Rails casts
 * them (a numeric string is its number, blank is absent), held to judge mode's maxima, raised to pocketrun's minima
 * the same way for the three limits, and a 422 naming the field for what is not a number or a boolean.
 */
import { ApiError } from '../../core/apiError';
import { judgeLimitRanges } from '../../core/judge/judgeLimitRanges';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import * as L from '../../core/limits';
import { parseJudge0Submission } from '../../handlers/judge0/judge0Submission';

const policy = limitPolicyFromEnv({});
const ranges = judgeLimitRanges(policy);
const MiB = 1024 * 1024;
const maxKb = ranges.memoryMb.max * 1024;
const parse = (extra: Record<string, unknown>) => parseJudge0Submission({ source_code: 'print(1)', language_id: 71, ...extra }, false, policy);

const taken: Array<[string, Record<string, unknown>, Record<string, number>]> = [
  ['memory_limit as a number', { memory_limit: 128000 }, { memoryBytes: 125 * MiB }],
  ['memory_limit as a numeric string', { memory_limit: '128000' }, { memoryBytes: 125 * MiB }],
  ['memory_limit with spaces around', { memory_limit: ' 65536 ' }, { memoryBytes: 64 * MiB }],
  ['memory_limit with a fraction: dropped, as an integer column does', { memory_limit: '65536.9' }, { memoryBytes: 64 * MiB }],
  ['memory_limit at the maximum', { memory_limit: String(maxKb) }, { memoryBytes: ranges.memoryMb.max * MiB }],
  ['memory_limit below the minimum: raised to it', { memory_limit: '2048' }, { memoryBytes: ranges.memoryMb.min * MiB }],
  ['memory_limit blank: the default', { memory_limit: '' }, { memoryBytes: ranges.memoryMb.default * MiB }],
  ['cpu_time_limit as a string', { cpu_time_limit: '2.5' }, { cpuMs: 2500 }],
  ['cpu_time_limit below the minimum: raised to it', { cpu_time_limit: 0.01 }, { cpuMs: ranges.cpuMs.min }],
  ['wall_time_limit as a string', { wall_time_limit: '3' }, { timeoutMs: 3000 }],
  ['wall_time_limit below the minimum: raised to it', { wall_time_limit: '0.001' }, { timeoutMs: ranges.timeoutMs.min }],
  ['all three at once, as strings', { cpu_time_limit: '1', wall_time_limit: '2', memory_limit: '32768' }, { cpuMs: 1000, timeoutMs: 2000, memoryBytes: 32 * MiB }],
];

test.each(taken)('%s', (_name, extra, limits) => {
  expect(parse(extra).limits).toMatchObject(limits);
});

const refused: Array<[string, Record<string, unknown>, string, RegExp]> = [
  ['memory_limit not a number', { memory_limit: 'lots' }, 'memory_limit', /is not a number/],
  ['memory_limit zero', { memory_limit: '0' }, 'memory_limit', /greater than 0/],
  ['memory_limit negative', { memory_limit: -5 }, 'memory_limit', /greater than 0/],
  ['memory_limit past the maximum', { memory_limit: String(maxKb + 1) }, 'memory_limit', new RegExp(`less than or equal to ${maxKb}`)],
  ['memory_limit an object', { memory_limit: { kb: 1 } }, 'memory_limit', /is not a number/],
  ['cpu_time_limit past the maximum', { cpu_time_limit: String(ranges.cpuMs.max / 1000 + 1) }, 'cpu_time_limit', /less than or equal/],
  ['cpu_time_limit zero', { cpu_time_limit: 0 }, 'cpu_time_limit', /greater than 0/],
  ['wall_time_limit hexadecimal', { wall_time_limit: '0x10' }, 'wall_time_limit', /is not a number/],
  ['language_id with a fraction', { language_id: '71.5' }, 'language_id', /doesn't exist/],
  ['an ignored number that is none', { stack_limit: 'big' }, 'stack_limit', /is not a number/],
  ['an ignored boolean that is none', { enable_per_process_and_thread_time_limit: 'maybe' }, 'enable_per_process_and_thread_time_limit', /true or false/],
  ['redirect_stderr_to_stdout not a boolean', { redirect_stderr_to_stdout: 'sometimes' }, 'redirect_stderr_to_stdout', /true or false/],
  ['enable_network true', { enable_network: true }, 'enable_network', /no network/],
  ['enable_network "true"', { enable_network: 'true' }, 'enable_network', /no network/],
  ['an argument with a NUL', { command_line_arguments: 'a b\0c' }, 'command_line_arguments', /^command_line_arguments: argument 2: must not contain NUL$/],
  ['an argument over 4 KiB', { command_line_arguments: `a ${'x'.repeat(L.MAX_ARG_BYTES + 1)}` }, 'command_line_arguments', /argument 2: longer than/],
];

test.each(refused)('%s: 422 naming the field', (_name, extra, field, message) => {
  let caught: unknown;
  try {
    parse(extra);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ApiError);
  expect((caught as ApiError).status).toBe(422);
  expect((caught as ApiError).message).toMatch(new RegExp(`^${field}: `));
  expect((caught as ApiError).message).toMatch(message);
});

test('numeric strings elsewhere: language_id, the ignored knobs; booleans as Rails casts them', () => {
  expect(parse({ language_id: '71' }).language).toBe('python');
  expect(() => parse({ stack_limit: '64000', number_of_runs: '1', cpu_extra_time: '0.5', max_file_size: 1024, max_processes_and_or_threads: '60' })).not.toThrow();
  expect(parse({ redirect_stderr_to_stdout: 'true' }).client).toMatchObject({ redirectStderrToStdout: true });
  expect(parse({ redirect_stderr_to_stdout: '0' }).client).toMatchObject({ redirectStderrToStdout: false });
  expect(() => parse({ enable_network: 'false' })).not.toThrow();
});

/** What each stdin becomes in the manifest's test: text, with the exact bytes beside it only where they are not UTF-8. */
const b64 = (bytes: number[] | string) => Buffer.from(bytes as never).toString('base64');
const stdins: Array<[string, Record<string, unknown>, boolean, Record<string, unknown>]> = [
  ['base64 stdin that is not UTF-8 keeps its bytes', { stdin: b64([0, 0xff, 0x0a]) }, true, { stdin: '\u0000\ufffd\n', stdinBase64: b64([0, 0xff, 0x0a]) }],
  ['base64 stdin that is UTF-8 is text', { stdin: b64('é\n') }, true, { stdin: 'é\n' }],
  ['base64 stdin line-wrapped as Ruby sends it', { stdin: `${b64([0xff, 0xfe, 0xfd])}\n` }, true, { stdin: '\ufffd\ufffd\ufffd', stdinBase64: b64([0xff, 0xfe, 0xfd]) }],
  ['expected_output stays text', { stdin: b64([0xff]), expected_output: b64([0xff]) }, true, { stdin: '\ufffd', stdinBase64: b64([0xff]), expectedOutput: '\ufffd' }],
  ['plain stdin is its text', { stdin: 'é' }, false, { stdin: 'é' }],
  ['no stdin is empty', {}, true, { stdin: '' }],
];

test.each(stdins)('%s', (_name, extra, base64, test) => {
  expect(parseJudge0Submission({ source_code: b64('print(1)'), language_id: 71, ...extra }, base64, policy).tests).toEqual([test]);
});

test('the stdin limit counts decoded bytes', () => {
  const at = b64(Array(L.JUDGE_MAX_TEST_FIELD_BYTES).fill(0xff));
  const over = b64(Array(L.JUDGE_MAX_TEST_FIELD_BYTES + 1).fill(0xff));
  expect(parseJudge0Submission({ source_code: b64('x'), language_id: 71, stdin: at }, true, policy).tests[0].stdinBase64).toBe(at);
  expect(() => parseJudge0Submission({ source_code: b64('x'), language_id: 71, stdin: over }, true, policy)).toThrow(/^stdin: is longer than 65536 bytes/);
});
