/**
 * A judge run's input from the bytes a request decoded (base64 of `POST /api/execute`, Judge0's `base64_encoded=true`,
 * Piston's `base64` and `hex` files): the manifest's text, with the exact bytes beside it only where they are not
 * UTF-8 (core/judge/judgeSpec.ts). One place, so the three APIs hand the executor the same shape.
 */
import type { JudgeFile, JudgeTest } from './judgeSpec';
import { streamText } from './streamText';

export function stdinOf(bytes: Buffer): Pick<JudgeTest, 'stdin' | 'stdinBase64'> {
  const { text, base64 } = streamText(bytes);
  return base64 === undefined ? { stdin: text } : { stdin: text, stdinBase64: base64 };
}

export function fileOf(name: string, bytes: Buffer): JudgeFile {
  const { text, base64 } = streamText(bytes);
  return base64 === undefined ? { name, content: text } : { name, content: text, contentBase64: base64 };
}
