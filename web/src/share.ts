/**
 * Share links: the language and the code in the URL fragment, which browsers never send to a server, so nothing is
 * stored anywhere but in the link. `#z=` is deflate-raw (CompressionStream) in base64url; browsers without
 * CompressionStream write (and read only) `#t=`, the UTF-8 itself in base64url. The language goes first, in clear.
 */

export interface Shared {
  language: string;
  code: string;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

const canCompress = () => typeof CompressionStream === 'function' && typeof DecompressionStream === 'function';

/** The fragment for a program, without the `#`. */
export async function encodeShare(shared: Shared, compress = canCompress()): Promise<string> {
  const lang = `l=${encodeURIComponent(shared.language)}`;
  const bytes = new TextEncoder().encode(shared.code);
  if (compress) {
    try {
      return `${lang}&z=${toBase64Url(await pipe(bytes, new CompressionStream('deflate-raw')))}`;
    } catch {
      // Some browsers have CompressionStream without deflate-raw: the plain form below.
    }
  }
  return `${lang}&t=${toBase64Url(bytes)}`;
}

/** The program in a fragment (with or without `#`), or null when it holds none (or a damaged one). */
export async function decodeShare(fragment: string): Promise<Shared | null> {
  const params = new URLSearchParams(fragment.replace(/^#/, ''));
  const language = params.get('l');
  if (!language) return null;
  try {
    const z = params.get('z');
    const t = params.get('t');
    let bytes: Uint8Array;
    if (z !== null) {
      if (!canCompress()) return null;
      bytes = await pipe(fromBase64Url(z), new DecompressionStream('deflate-raw'));
    } else if (t !== null) {
      bytes = fromBase64Url(t);
    } else {
      return null;
    }
    return { language, code: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return null;
  }
}
