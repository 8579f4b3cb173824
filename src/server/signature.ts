let warned = false

/**
 * The legacy HMAC user signature for `<CourierProvider userSignature>` (react-provider 7 with a
 * client key): HMAC-SHA256 of the user id, keyed with your API key, as lowercase hex.
 * @deprecated Courier's JWTs replace it: issue a token with `issueCourierToken` or `createTokenHandler`
 * and pass it as `authorization`. A signature never expires and cannot be scoped.
 */
export async function computeUserSignature(userId: string, apiKey: string): Promise<string> {
  if (typeof userId !== 'string' || !userId || typeof apiKey !== 'string' || !apiKey.trim()) {
    throw new TypeError('computeUserSignature needs a non-empty userId and apiKey.')
  }
  if (!warned) {
    warned = true
    console.warn(
      '[courier-token-manager] computeUserSignature is deprecated: HMAC signatures never expire. Issue JWTs with createTokenHandler or issueCourierToken instead.',
    )
  }
  const encoder = new TextEncoder()
  // The key as Courier knows it, and as issueCourierToken sends it: one read from a CRLF .env ends in a CR.
  const key = await crypto.subtle.importKey('raw', encoder.encode(apiKey.trim()), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(userId)))
  return Array.from(signature, (byte) => byte.toString(16).padStart(2, '0')).join('')
}
