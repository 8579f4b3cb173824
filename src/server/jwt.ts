const encoder = new TextEncoder()

// A loop, not String.fromCharCode(...bytes): spreading large claims overflows the stack.
const base64url = (bytes: Uint8Array) =>
  btoa(bytes.reduce((text, byte) => text + String.fromCharCode(byte), ''))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

const encodeJson = (value: object) => base64url(encoder.encode(JSON.stringify(value)))

/** Signs `claims` as an HS256 JWT with Web Crypto, so it runs in Node 19+ (Node 18 with --experimental-global-webcrypto), workers and edge runtimes. */
export async function signHs256(claims: object, secret: string): Promise<string> {
  const input = `${encodeJson({ alg: 'HS256', typ: 'JWT' })}.${encodeJson(claims)}`
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return `${input}.${base64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(input))))}`
}
