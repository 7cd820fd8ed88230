/**
 * The judge's comparison of a program's stdout with the expected output. Judges differ on whitespace, and
 * integrators' expected outputs are typed by hand or saved by editors that add or drop a final newline, so two
 * differences are forgiven and nothing else:
 * - whitespace at the end of a line: spaces, tabs, `\r` (so CRLF equals LF), form feeds and vertical tabs;
 * - newlines at the end (blank lines after the last non-blank line, however many).
 * Leading and inner whitespace, blank lines between lines, case and every other character count. Only ASCII
 * whitespace is trimmed: a trailing no-break space is a character the program printed.
 */

const TRAILING_SPACE = /[ \t\r\f\v]+$/;

/** The output as compared: each line without its trailing whitespace, without the trailing blank lines. */
export function normalizedOutput(text: string): string {
  const lines = text.split('\n').map((line) => line.replace(TRAILING_SPACE, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

export function outputsMatch(actual: string, expected: string): boolean {
  return normalizedOutput(actual) === normalizedOutput(expected);
}
