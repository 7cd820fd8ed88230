/**
 * Reads environment variables described by a table (name, kind, default, meaning) into typed values. Every problem
 * is collected, so that one start reports all of them; `check()` throws them together as one `ConfigError`, whose
 * lines each name the variable: `ISOLATION: expected one of auto, bwrap, uid, got "bwarp"`.
 */

export type Env = Readonly<Record<string, string | undefined>>;

interface VariableBase {
  name: string;
  meaning: string;
}
/** A whole number of at least `min`. */
export interface IntVariable extends VariableBase {
  kind: 'int';
  min: number;
  default?: number;
}
export interface EnumVariable extends VariableBase {
  kind: 'enum';
  values: readonly string[];
  default: string;
}
/** `0` or `1`. */
export interface BoolVariable extends VariableBase {
  kind: 'bool';
  default: boolean;
}
export interface StringVariable extends VariableBase {
  kind: 'string';
  default?: string;
}
export type Variable = IntVariable | EnumVariable | BoolVariable | StringVariable;
export type VariableTable = Record<string, Variable>;

/** The type a variable reads as: without a default, unset reads as `undefined`. */
export type ValueOf<V extends Variable> = V extends IntVariable
  ? V extends { default: number } ? number : number | undefined
  : V extends EnumVariable
    ? V['values'][number]
    : V extends BoolVariable
      ? boolean
      : V extends { default: string } ? string : string | undefined;

export type ValuesOf<T extends VariableTable> = { [K in keyof T]: ValueOf<T[K]> };

export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      issues.length === 1
        ? `${issues[0].variable}: ${issues[0].message}`
        : `invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }

  get variables(): string[] {
    return this.issues.map((i) => i.variable);
  }
}

/** `"oss" or "fs"` for two values, `one of auto, bwrap, uid` for more. */
function expectedValues(values: readonly string[]): string {
  return values.length === 2 ? `"${values[0]}" or "${values[1]}"` : `one of ${values.join(', ')}`;
}

export class ConfigReader {
  readonly issues: ConfigIssue[] = [];

  constructor(readonly env: Env) {}

  fail(variable: string, message: string): void {
    this.issues.push({ variable, message });
  }

  /** A variable's value; an empty one counts as unset. An invalid value is recorded and reads as the default. */
  read<V extends Variable>(variable: V): ValueOf<V> {
    return this.parse(variable) as ValueOf<V>;
  }

  readAll<T extends VariableTable>(table: T): ValuesOf<T> {
    return Object.fromEntries(Object.entries(table).map(([key, variable]) => [key, this.read(variable)])) as ValuesOf<T>;
  }

  /** Throws every issue recorded so far, at once. */
  check(): void {
    if (this.issues.length > 0) throw new ConfigError(this.issues);
  }

  private parse(variable: Variable): number | string | boolean | undefined {
    const raw = this.env[variable.name];
    if (raw === undefined || raw === '') return variable.default;
    const got = `got ${JSON.stringify(raw)}`;
    switch (variable.kind) {
      case 'int': {
        const value = Number(raw);
        if (Number.isSafeInteger(value) && value >= variable.min) return value;
        this.fail(variable.name, `expected an integer >= ${variable.min}, ${got}`);
        return variable.default;
      }
      case 'enum':
        if (variable.values.includes(raw)) return raw;
        this.fail(variable.name, `expected ${expectedValues(variable.values)}, ${got}`);
        return variable.default;
      case 'bool':
        if (raw === '0' || raw === '1') return raw === '1';
        this.fail(variable.name, `expected 0 or 1, ${got}`);
        return variable.default;
      case 'string':
        return raw;
    }
  }
}
