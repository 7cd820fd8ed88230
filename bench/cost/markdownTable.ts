/** A Markdown table (pasteable into the README): the first `textColumns` left-aligned, figures right-aligned. */
export function markdownTable(header: string[], rows: string[][], textColumns = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const left = (i: number) => i < textColumns;
  const line = (cells: string[]) => `| ${cells.map((c, i) => (left(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => `${'-'.repeat(w + 1)}${left(i) ? '-' : ':'}`).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const dec = (n: number, digits = 1) => n.toFixed(digits);
export const yuan = (n: number) => (n === 0 ? '0' : n >= 1 ? n.toFixed(2) : n.toPrecision(2));
