/** Characters of module type names, in id order (`ModuleTypeNameCharSet`, `redis/redis:src/module.c`). */
const CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Decodes a 64-bit module type id from an RDB (`RDB_TYPE_MODULE_2`, `RDB_OPCODE_MODULE_AUX`) into
 * its 9-character type name and encoding version, as `moduleTypeNameByID` does in
 * `redis/redis:src/module.c`: 9 x 6 bits of name from the top, 10 bits of version at the bottom.
 * FalkorDB's graph keys, for instance, are module values.
 */
export function moduleTypeName(id: bigint): { name: string; encodingVersion: number } {
  let name = '';
  for (let i = 0; i < 9; i++) {
    const shift = BigInt(64 - 6 * (i + 1));
    name += CHARSET[Number((id >> shift) & 63n)];
  }
  return { name, encodingVersion: Number(id & 1023n) };
}
