/**
 * The bench's figures and targets, printed side by side (one column per target: local, cloud 5 ms, ...) and as JSON
 * (`--json` or BENCH_JSON=1; bench/cost reads it). A figure is a set of samples (median and p95 shown) or one value.
 */
import { median, p95 } from './stats';

export interface Figure {
  section: string;
  name: string;
  unit: string;
  /** The target's label: `local`, `cloud 5 ms`. */
  column: string;
  median?: number;
  p95?: number;
  value?: number | string;
  samples?: number;
}

export interface Target {
  column: string;
  name: string;
  /** What is compared with the limit, e.g. `first output − floor`. */
  measured: number;
  limit: number;
  /** `<=` or `>=`. */
  sense: '<=' | '>=';
  unit: string;
  met: boolean;
}

export class Report {
  readonly figures: Figure[] = [];
  readonly targets: Target[] = [];

  samples(section: string, column: string, name: string, unit: string, xs: number[]): { median: number; p95: number } {
    const figure = { median: median(xs), p95: p95(xs) };
    this.figures.push({ section, name, unit, column, ...figure, samples: xs.length });
    return figure;
  }

  value(section: string, column: string, name: string, unit: string, value: number | string): void {
    this.figures.push({ section, name, unit, column, value });
  }

  target(column: string, name: string, measured: number, sense: '<=' | '>=', limit: number, unit: string): void {
    this.targets.push({ column, name, measured, limit, sense, unit, met: sense === '<=' ? measured <= limit : measured >= limit });
  }

  print(header: string): void {
    console.log(header);
    const columns = [...new Set(this.figures.map((f) => f.column))];
    const sections = [...new Set(this.figures.map((f) => f.section))];
    const cell = (f: Figure | undefined) => {
      if (!f) return '';
      if (f.value !== undefined) return typeof f.value === 'number' ? format(f.value) : f.value;
      return `${format(f.median!)} / ${format(f.p95!)}`;
    };
    for (const section of sections) {
      console.log(`\n${section}`);
      const names = [...new Set(this.figures.filter((f) => f.section === section).map((f) => `${f.name} (${f.unit})`))];
      const width = Math.max(...names.map((n) => n.length), 10);
      const widths = columns.map((c) => Math.max(c.length, ...this.figures.filter((f) => f.section === section && f.column === c).map((f) => cell(f).length)));
      const used = columns.map((c, i) => [c, widths[i]] as const).filter(([c]) => this.figures.some((f) => f.section === section && f.column === c));
      console.log(`  ${''.padEnd(width)}  ${used.map(([c, w]) => c.padStart(w)).join('   ')}`);
      for (const name of names) {
        const row = used.map(([c, w]) => cell(this.figures.find((f) => f.section === section && f.column === c && `${f.name} (${f.unit})` === name)).padStart(w));
        console.log(`  ${name.padEnd(width)}  ${row.join('   ')}`);
      }
    }
    console.log('\ntargets');
    for (const t of this.targets) {
      console.log(`  ${t.met ? 'met    ' : 'NOT MET'}  ${t.column.padEnd(11)} ${t.name}: ${format(t.measured)} ${t.unit} (target ${t.sense} ${format(t.limit)})`);
    }
  }

  json(meta: Record<string, unknown>, indent?: number): string {
    return JSON.stringify({ ...meta, figures: this.figures, targets: this.targets }, null, indent);
  }
}

function format(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
}
