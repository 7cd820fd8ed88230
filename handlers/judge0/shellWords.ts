/**
 * Judge0's `command_line_arguments` is one string its sandbox hands to a shell after the run command. pocketrun
 * starts programs without a shell, so the string is split the way that shell would split it (quotes, backslashes),
 * without expansions: `a "b c" 'd'` → `a`, `b c`, `d`. Null for an unclosed quote.
 */
export function shellWords(text: string): string[] | null {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) word += text[++i];
      else word += ch;
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word ??= '';
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '\\' && i + 1 < text.length) word += text[++i];
      else word += ch;
    }
  }
  if (quote) return null;
  if (word !== null) words.push(word);
  return words;
}
