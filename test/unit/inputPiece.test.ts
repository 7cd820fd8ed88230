/**
 * The page's input pieces (web/src/inputPiece.ts) never split a surrogate pair: a piece ending in half of one would
 * be refused by the API (a lone surrogate) or, before that check, reach the program as U+FFFD.
 */
import { inputPiece } from '../../web/src/inputPiece';

const cases: Array<[string, string, number, string]> = [
  ['shorter than a piece: all of it', 'abc', 4, 'abc'],
  ['longer: the first maxChars units', 'abcdef', 4, 'abcd'],
  ['a pair across the cut waits for the next piece', 'abc😀d', 4, 'abc'],
  ['a pair that ends at the cut is kept', 'ab😀d', 4, 'ab😀'],
  ['a pair that is all the text fits two units', '😀', 2, '😀'],
];

test.each(cases)('%s', (_name, pending, max, piece) => {
  expect(inputPiece(pending, max)).toBe(piece);
  // Every piece is whole characters: sending them in turn sends the text unchanged.
  expect(/\p{Cs}/u.test(piece)).toBe(false);
});

test('pieces sent in turn make up the text, character for character', () => {
  const text = 'x😀'.repeat(1000) + '中文🎉'.repeat(500);
  const pieces: string[] = [];
  for (let rest = text; rest; ) {
    const piece = inputPiece(rest, 7);
    expect(piece.length).toBeGreaterThan(0);
    pieces.push(piece);
    rest = rest.slice(piece.length);
  }
  expect(pieces.join('')).toBe(text);
  expect(pieces.every((p) => !/\p{Cs}/u.test(p))).toBe(true);
});
