// The members of zod 4 (https://zod.dev) that the @backup packages use, re-exported unchanged.
// Keep this list, ../z.d.ts and test/bundle.test.ts in step: the test fails when they differ.
// Add a name here when a package needs one more zod function.
export {
  array,
  boolean,
  discriminatedUnion,
  enum,
  iso,
  literal,
  looseObject,
  number,
  object,
  record,
  strictObject,
  string,
  union,
  unknown,
  url,
  ZodError,
} from 'zod';
