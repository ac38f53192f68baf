/** An error reply of a Redis command (`-ERR ...`, `-NOPERM ...`), as `RespConnection.command` rejects with it. */
export class RespError extends Error {
  override readonly name = 'RespError';
}
