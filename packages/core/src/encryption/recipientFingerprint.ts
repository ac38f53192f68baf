/**
 * Fingerprint of an age recipient as recorded in manifests (`ArtifactEncryption.recipients`): the
 * first 16 lowercase hex characters (64 bits) of the sha256 of the recipient string exactly as
 * given (`age1...`, UTF-8, no trailing newline). It identifies which public key an artifact was
 * encrypted to without storing the key itself; it is not a secret and reveals nothing about the
 * private key.
 *
 * Shell equivalent: `printf %s age1... | sha256sum | cut -c1-16`.
 *
 * @param recipient - An age recipient string, e.g. the output of `age-keygen -y key.txt`.
 * @returns 16 lowercase hex characters.
 */
export function recipientFingerprint(recipient: string): string {
  return process
    .getBuiltinModule('node:crypto')
    .createHash('sha256')
    .update(recipient, 'utf8')
    .digest('hex')
    .slice(0, 16);
}
