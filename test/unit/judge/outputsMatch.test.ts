/** The judge's comparison rules (core/judge/outputsMatch.ts), one row per rule and its limits. */
import { normalizedOutput, outputsMatch } from '../../../core/judge/outputsMatch';

const cases: Array<[string, string, string, boolean]> = [
  ['identical', '3\n', '3\n', true],
  ['a missing final newline', '3', '3\n', true],
  ['extra final newlines', '3\n\n\n', '3', true],
  ['trailing spaces and tabs on a line', '1 2 \t\n3\n', '1 2\n3\n', true],
  ['CRLF against LF', 'a\r\nb\r\n', 'a\nb\n', true],
  ['trailing spaces on the blank lines at the end', '3\n  \n\t\n', '3', true],
  ['form feed and vertical tab at a line end', 'x\f\v\n', 'x', true],
  ['both empty', '', '', true],
  ['only newlines against nothing', '\n\n', '', true],
  ['a different number', '4\n', '3\n', false],
  ['leading spaces count', ' 3\n', '3\n', false],
  ['inner spaces count', '1  2\n', '1 2\n', false],
  ['a blank line between lines counts', 'a\n\nb\n', 'a\nb\n', false],
  ['case counts', 'Yes\n', 'YES\n', false],
  ['a trailing no-break space is a character', '3\u00a0\n', '3\n', false],
  ['output missing a line', '1\n', '1\n2\n', false],
  ['extra output after the expected', '1\n2\n', '1\n', false],
  ['a lone \\r is not a line break', 'a\rb\n', 'a\nb\n', false],
  ['empty output against a value', '', '0', false],
];

describe('outputsMatch', () => {
  test.each(cases)('%s', (_name, actual, expected, match) => {
    expect(outputsMatch(actual, expected)).toBe(match);
    // The rules are symmetric: which side is the program's never matters.
    expect(outputsMatch(expected, actual)).toBe(match);
  });

  test('the normalized form keeps inner structure and drops only what the rules forgive', () => {
    expect(normalizedOutput(' a \r\n\n b\t\n\n\n')).toBe(' a\n\n b');
  });
});
