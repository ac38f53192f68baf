import { LosslessNumber } from 'lossless-json';

/**
 * Qdrant stores vector elements as f32 (`VectorElementType = f32`): serde parses the JSON number
 * as f64 and casts it. This does the same.
 */
export function toF32(value: unknown): number {
  const n = Number(String(value));
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${String(value)}`);
  return Math.fround(n);
}

/**
 * Writes an f32 the way serde_json does for `f32` (ryu, shortest text that reads back as the
 * same f32, integral values with `.0`), as a LosslessNumber so lossless-json emits it verbatim.
 */
export function formatF32(value: number): LosslessNumber {
  let text = String(value);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) {
      text = String(candidate);
      break;
    }
  }
  if (/^-?\d+$/.test(text)) text += '.0';
  return new LosslessNumber(text);
}

/**
 * Normalizes a payload number the way serde_json's `Value` keeps it: integers that fit i64/u64
 * keep their integer text; anything else is an f64, written shortest with `.0` when integral.
 */
export function normalizePayloadNumber(text: string): LosslessNumber {
  if (/^-?\d+$/.test(text)) {
    const big = BigInt(text);
    if (big >= -(2n ** 63n) && big < 2n ** 64n) return new LosslessNumber(big.toString());
  }
  let out = String(Number(text));
  if (/^-?\d+$/.test(out)) out += '.0';
  return new LosslessNumber(out);
}
