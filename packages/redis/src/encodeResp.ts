/** One argument of a command: strings are sent as UTF-8, numbers in decimal, Buffers as is. */
export type RespArg = string | number | Buffer;

const CRLF = Buffer.from('\r\n');

/**
 * Encodes commands as RESP arrays of bulk strings, the request form every Redis command takes
 * (`redis/redis:src/networking.c` processMultibulkBuffer), ready for one socket write.
 */
export function encodeResp(commands: readonly (readonly RespArg[])[]): Buffer {
  const parts: Buffer[] = [];
  for (const args of commands) {
    parts.push(Buffer.from(`*${args.length}\r\n`, 'latin1'));
    for (const arg of args) {
      const bytes =
        typeof arg === 'string'
          ? Buffer.from(arg, 'utf8')
          : typeof arg === 'number'
            ? Buffer.from(String(arg), 'latin1')
            : arg;
      parts.push(Buffer.from(`$${bytes.length}\r\n`, 'latin1'), bytes, CRLF);
    }
  }
  return Buffer.concat(parts);
}
