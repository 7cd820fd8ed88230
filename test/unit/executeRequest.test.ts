/** `POST /api/execute` bodies (core/executeRequest.ts): what is accepted, and the field each refusal names. */
import { ApiError } from '../../core/apiError';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import { fileNameProblem, parseExecuteRequest } from '../../core/executeRequest';
import * as L from '../../core/limits';

const policy = limitPolicyFromEnv({});
const MiB = 1024 * 1024;
const base = { language: 'python', code: 'print(input())' };
const big = (bytes: number) => 'x'.repeat(bytes);
/** `bytes` bytes that are not UTF-8, in base64. */
const b64 = (bytes: number) => Buffer.alloc(bytes, 0xff).toString('base64');

function refusal(body: unknown): { status: number; message: string } {
  try {
    parseExecuteRequest(body, policy);
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(body).slice(0, 200)}`);
}

describe('parseExecuteRequest: accepted', () => {
  test('the single form: one test from stdin and expectedOutput, judge defaults', () => {
    expect(parseExecuteRequest({ ...base, stdin: '3\n', expectedOutput: '3' }, policy)).toEqual({
      language: 'python',
      code: base.code,
      args: [],
      files: [],
      limits: { timeoutMs: 10_000, cpuMs: 5_000, memoryBytes: 256 * MiB, outputBytes: MiB },
      tests: [{ stdin: '3\n', expectedOutput: '3' }],
      batch: false,
    });
  });

  test('no stdin is empty input; no expectedOutput is no comparison', () => {
    expect(parseExecuteRequest(base, policy).tests).toEqual([{ stdin: '' }]);
  });

  test('tests, args, files and limits; above a maximum is clamped', () => {
    const request = parseExecuteRequest(
      {
        ...base,
        args: ['-v'],
        files: [{ name: 'data/in.txt', content: 'x' }, { name: 'util.py', content: 'y' }],
        limits: { timeoutMs: 999_999, cpuMs: 2_000, memoryMb: 64, outputBytes: 10 },
        tests: [{ stdin: '1' }, { stdin: '2', expectedOutput: '2' }, { stdin: '', expectedOutput: null }],
      },
      policy,
    );
    expect(request).toMatchObject({
      args: ['-v'],
      files: [{ name: 'data/in.txt', content: 'x' }, { name: 'util.py', content: 'y' }],
      limits: { timeoutMs: L.JUDGE_MAX_TIMEOUT_MS, cpuMs: 2_000, memoryBytes: 64 * MiB, outputBytes: 10 },
      tests: [{ stdin: '1' }, { stdin: '2', expectedOutput: '2' }, { stdin: '' }],
      batch: true,
    });
  });

  test('50 tests are allowed', () => {
    expect(parseExecuteRequest({ ...base, tests: Array.from({ length: 50 }, () => ({ stdin: '' })) }, policy).tests).toHaveLength(50);
  });

  // The bytes a request may send: text where it is UTF-8, and only else the exact bytes beside it (the manifest's shape).
  const binary = Buffer.from([0x00, 0xff, 0xfe, 0x0a]);
  const inputs: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['stdinBase64 that is UTF-8 becomes text', { stdinBase64: Buffer.from('é\n').toString('base64') }, { tests: [{ stdin: 'é\n' }] }],
    ['stdinBase64 that is not UTF-8 keeps its bytes', { stdinBase64: binary.toString('base64') }, { tests: [{ stdin: binary.toString('utf8'), stdinBase64: binary.toString('base64') }] }],
    ['stdinBase64 line-wrapped, URL-safe, unpadded', { stdinBase64: '//8\nA' }, { tests: [{ stdin: '\ufffd\ufffd\u0000', stdinBase64: '//8A' }] }],
    ['an empty stdinBase64 is no input', { stdinBase64: '' }, { tests: [{ stdin: '' }] }],
    ['a test with stdinBase64 and an expected output', { tests: [{ stdinBase64: 'AP8=', expectedOutput: 'x' }] }, { tests: [{ stdin: '\u0000\ufffd', stdinBase64: 'AP8=', expectedOutput: 'x' }] }],
    ['null stdin beside stdinBase64 is no clash', { stdin: null, stdinBase64: 'YQ==' }, { tests: [{ stdin: 'a' }] }],
    ['a base64 file that is not UTF-8', { files: [{ name: 'data.bin', content: binary.toString('base64'), encoding: 'base64' }] }, { files: [{ name: 'data.bin', content: binary.toString('utf8'), contentBase64: binary.toString('base64') }] }],
    ['a base64 file that is UTF-8', { files: [{ name: 'a.txt', content: Buffer.from('hé').toString('base64'), encoding: 'base64' }] }, { files: [{ name: 'a.txt', content: 'hé' }] }],
    ['encoding utf8 is the text', { files: [{ name: 'a.txt', content: 'AP8=', encoding: 'utf8' }] }, { files: [{ name: 'a.txt', content: 'AP8=' }] }],
    ['a base64 file counts its decoded bytes', { code: big(40_000), files: [{ name: 'a', content: b64(25_000), encoding: 'base64' }] }, { files: [{ name: 'a' }] }],
    ['stdinBase64 at the limit in decoded bytes', { stdinBase64: b64(L.JUDGE_MAX_TEST_FIELD_BYTES) }, { batch: false }],
  ];
  test.each(inputs)('%s', (_name, fields, expected) => {
    expect(parseExecuteRequest({ ...base, ...fields }, policy)).toMatchObject(expected);
  });

  test('the run policy’s lower maxima win over the judge’s', () => {
    const small = limitPolicyFromEnv({ RUN_MEMORY_MAX_BYTES: String(128 * MiB), RUN_TIMEOUT_MAX_MS: '5000' });
    expect(parseExecuteRequest({ ...base, limits: { memoryMb: 1024, timeoutMs: 20_000 } }, small).limits).toMatchObject({ memoryBytes: 128 * MiB, timeoutMs: 5000 });
  });
});

const tests = (n: number) => Array.from({ length: n }, () => ({ stdin: '' }));

const refusals: Array<[string, unknown, number, string]> = [
  ['not an object', [1], 400, 'body:'],
  ['an unknown field', { ...base, stdinn: '' }, 400, 'stdinn: unknown field'],
  ['no language', { code: 'x' }, 400, 'language: is required'],
  ['an unknown language', { ...base, language: 'cobol' }, 400, 'language: unknown language "cobol"'],
  ['no code', { language: 'python' }, 400, 'code: is required'],
  ['code too large', { ...base, code: big(L.MAX_CODE_BYTES + 1) }, 413, 'code:'],
  ['stdin not a string', { ...base, stdin: 3 }, 400, 'stdin: expected a string'],
  ['stdin too large', { ...base, stdin: big(L.JUDGE_MAX_TEST_FIELD_BYTES + 1) }, 413, 'stdin:'],
  ['expectedOutput not a string', { ...base, expectedOutput: ['3'] }, 400, 'expectedOutput: expected a string'],
  ['args not strings', { ...base, args: [1] }, 400, 'args[0]: expected a string'],
  ['tests not an array', { ...base, tests: { stdin: '' } }, 400, 'tests: expected an array'],
  ['no test at all', { ...base, tests: [] }, 400, 'tests: expected at least one test'],
  ['too many tests', { ...base, tests: tests(L.JUDGE_MAX_TESTS + 1) }, 400, 'tests: at most 50 tests, got 51'],
  ['stdin beside tests', { ...base, stdin: '1', tests: tests(1) }, 400, 'stdin: not allowed beside tests'],
  ['expectedOutput beside tests', { ...base, expectedOutput: '1', tests: tests(1) }, 400, 'expectedOutput: not allowed beside tests'],
  ['a test that is not an object', { ...base, tests: [{ stdin: '' }, 'x'] }, 400, 'tests[1]: expected an object'],
  ['a test without stdin', { ...base, tests: [...tests(3), { expectedOutput: '1' }] }, 400, 'tests[3].stdin: is required'],
  ['a test with a number as stdin', { ...base, tests: [...tests(2), { stdin: 5 }] }, 400, 'tests[2].stdin: expected a string'],
  ['a test with a non-string expectedOutput', { ...base, tests: [{ stdin: '', expectedOutput: 5 }] }, 400, 'tests[0].expectedOutput: expected a string'],
  ['a test with an unknown field', { ...base, tests: [{ stdin: '', expected: '1' }] }, 400, 'tests[0].expected: unknown field'],
  ['a test stdin too large', { ...base, tests: [...tests(1), { stdin: big(L.JUDGE_MAX_TEST_FIELD_BYTES + 1) }] }, 413, 'tests[1].stdin:'],
  ['limits not an object', { ...base, limits: 5 }, 400, 'limits: expected an object'],
  ['an unknown limit', { ...base, limits: { memoryBytes: 5 } }, 400, 'limits.memoryBytes: unknown field'],
  ['a fractional limit', { ...base, limits: { cpuMs: 1.5 } }, 400, 'limits.cpuMs: expected an integer'],
  ['a limit below its minimum', { ...base, limits: { memoryMb: 1 } }, 400, 'limits.memoryMb: must be at least 16'],
  ['files not an array', { ...base, files: 'a' }, 400, 'files: expected an array'],
  ['too many files', { ...base, files: Array.from({ length: 21 }, (_, i) => ({ name: `f${i}`, content: '' })) }, 400, 'files: at most 20 files'],
  ['a file without a name', { ...base, files: [{ content: '' }] }, 400, 'files[0].name: is required'],
  ['a file whose content is not a string', { ...base, files: [{ name: 'a', content: 1 }] }, 400, 'files[0].content: expected a string'],
  ['a file with an unknown field', { ...base, files: [{ name: 'a', content: '', mode: 7 }] }, 400, 'files[0].mode: unknown field'],
  ['an absolute file name', { ...base, files: [{ name: '/etc/passwd', content: '' }] }, 400, 'files[0].name: must be a relative path'],
  ['a file name going up', { ...base, files: [{ name: 'a', content: '' }, { name: 'x/../../b', content: '' }] }, 400, 'files[1].name: must not contain ".."'],
  ['the program’s own file', { ...base, files: [{ name: 'main.py', content: '' }] }, 400, 'files[0].name: "main.py" is the program\'s own file'],
  ['a duplicate file', { ...base, files: [{ name: 'a', content: '' }, { name: 'a', content: '' }] }, 400, 'files[1].name: "a" clashes'],
  ['a file that is another’s folder', { ...base, files: [{ name: 'a/b', content: '' }, { name: 'a', content: '' }] }, 400, 'files[1].name: "a" clashes'],
  ['a file below another file', { ...base, files: [{ name: 'a', content: '' }, { name: 'a/b', content: '' }] }, 400, 'files[1].name: "a/b" clashes'],
  ['code and files over the code cap', { ...base, code: big(40_000), files: [{ name: 'a', content: big(20_000) }, { name: 'b', content: big(10_000) }] }, 413, 'files[1].content: the code and files together are larger than 65536 bytes'],
  ['stdinBase64 beside stdin', { ...base, stdin: 'a', stdinBase64: 'YQ==' }, 400, 'stdinBase64: not allowed beside stdin'],
  ['stdinBase64 not base64', { ...base, stdinBase64: 'not base64!' }, 400, 'stdinBase64: not valid base64'],
  ['stdinBase64 not a string', { ...base, stdinBase64: [1] }, 400, 'stdinBase64: expected a string of base64'],
  ['stdinBase64 decoding past the limit', { ...base, stdinBase64: b64(L.JUDGE_MAX_TEST_FIELD_BYTES + 1) }, 413, 'stdinBase64: decodes to more than 65536 bytes'],
  ['stdinBase64 beside tests', { ...base, stdinBase64: 'YQ==', tests: tests(1) }, 400, 'stdinBase64: not allowed beside tests'],
  ['a test with stdin and stdinBase64', { ...base, tests: [...tests(1), { stdin: '', stdinBase64: '' }] }, 400, 'tests[1].stdinBase64: not allowed beside stdin'],
  ['a test with bad stdinBase64', { ...base, tests: [{ stdinBase64: 'YQ=x' }] }, 400, 'tests[0].stdinBase64: not valid base64'],
  ['a test stdinBase64 past the limit', { ...base, tests: [{ stdinBase64: b64(L.JUDGE_MAX_TEST_FIELD_BYTES + 1) }] }, 413, 'tests[0].stdinBase64: decodes to more than'],
  ['an unknown file encoding', { ...base, files: [{ name: 'a', content: '00', encoding: 'hex' }] }, 400, 'files[0].encoding: expected "utf8"'],
  ['a base64 file that is not base64', { ...base, files: [{ name: 'a', content: '@@', encoding: 'base64' }] }, 400, 'files[0].content: not valid base64'],
  ['base64 files decoding past the code cap', { ...base, code: big(40_000), files: [{ name: 'a', content: b64(30_000), encoding: 'base64' }] }, 413, 'files[0].content: the code and files together are larger than 65536 bytes'],
];

describe('parseExecuteRequest: refused, naming the field', () => {
  test.each(refusals)('%s', (_name, body, status, message) => {
    const got = refusal(body);
    expect(got.status).toBe(status);
    expect(got.message).toContain(message);
  });
});

const names: Array<[string, string | null]> = [
  ['main2.py', null],
  ['lib/util.py', null],
  ['.hidden', null],
  ['a..b', null],
  ['', 'must not be empty'],
  ['/abs', 'relative'],
  ['..', '".."'],
  ['a/../b', '".."'],
  ['./a', 'normal path'],
  ['a//b', 'normal path'],
  ['a/', 'normal path'],
  ['a\\b', 'backslashes'],
  ['a\u0000b', 'control characters'],
  ['line\nbreak', 'control characters'],
  ['x'.repeat(256), 'longer than 255 bytes'],
];

describe('fileNameProblem', () => {
  test.each(names)('%j', (name, problem) => {
    const got = fileNameProblem(name);
    if (problem === null) expect(got).toBeNull();
    else expect(got).toContain(problem);
  });
});
