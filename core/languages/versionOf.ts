/**
 * The version a toolchain prints (`Python 3.11.2`, `go version go1.19.8 linux/amd64`, `javac 17.0.15`,
 * `gcc (Debian 12.2.0-14) 12.2.0`, `perl v5.36.0`): the first dotted number of its output, or null.
 */
export function versionOf(output: string): string | null {
  return /(\d+(?:\.\d+)+)/.exec(output)?.[1] ?? null;
}
