/**
 * The IPsec key Cilium's agents read: pure builders for the Secret's one line and its key material's size. The
 * format is the IPsec guide's (Documentation/security/network/encryption-ipsec.rst, "Generate & Import the PSK"):
 * `<key-id>+ rfc4106(gcm(aes)) <PSK in hex> 128`, 20 random bytes (a 128-bit AES key and GCM's 32-bit salt). The `+`
 * asks for per-tunnel keys derived from this one: the guide calls the former global keys insecure
 * (GHSA-pwqm-x5x6-5586, deprecated in 1.16).
 */
import { IPSEC_SECRET } from "./cilium-features";

/** Random bytes in a key: AES-128 (16) + the rfc4106 salt (4), as the guide's `dd … count=20 bs=1`. */
export const IPSEC_KEY_BYTES = 20;

/** Key ids Cilium accepts: 1–15, "monotonically increasing every re-key with a rollover from 15 to 1" (the guide). */
export const IPSEC_KEY_ID_RANGE = { first: 1, last: 15 } as const;

/** The key id a new stack starts at. */
export const DEFAULT_IPSEC_KEY_ID = 1;

/** The Secret's `keys` line for a key id and 20 random bytes in hex. Throws on an id outside 1–15 or a malformed key. */
export function ipsecKeysLine(keyId: number, keyHex: string): string {
    if (!Number.isInteger(keyId) || keyId < IPSEC_KEY_ID_RANGE.first || keyId > IPSEC_KEY_ID_RANGE.last) {
        throw new Error(`IPsec key id ${keyId} is outside ${IPSEC_KEY_ID_RANGE.first}-${IPSEC_KEY_ID_RANGE.last}`);
    }
    if (!new RegExp(`^[0-9a-f]{${IPSEC_KEY_BYTES * 2}}$`).test(keyHex)) {
        // Never echo the key: it is the secret.
        throw new Error(`IPsec key material must be ${IPSEC_KEY_BYTES} bytes in lower-case hex`);
    }
    return `${keyId}+ rfc4106(gcm(aes)) ${keyHex} 128`;
}

/** The next key id of a rotation: +1, 15 rolls over to 1. */
export function nextIpsecKeyId(keyId: number): number {
    return keyId >= IPSEC_KEY_ID_RANGE.last ? IPSEC_KEY_ID_RANGE.first : keyId + 1;
}

/** The Secret object (without its data) the agents mount: name, namespace and key as the Cilium values state them. */
export function ipsecSecretMetadata(): { readonly name: string; readonly namespace: string } {
    return { name: IPSEC_SECRET.name, namespace: IPSEC_SECRET.namespace };
}
