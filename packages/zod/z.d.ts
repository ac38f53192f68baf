// Types of src/z.ts. First the zod members the bundle holds, as values: test/bundle.test.ts checks
// that these names are exactly the bundle's, and a zod function missing here is a type error where
// it is used, not a crash at run time. Then type-only names: `z.infer`, `z.core.$ZodIssue`, and the
// schema types (`z.ZodObject<...>`) that the declaration files emitted for our schemas name. They are
// listed one by one on purpose: with `export type * from 'zod'` TypeScript writes `import('zod')`
// into those declaration files, which packages without their own zod dependency cannot resolve
// (their schemas' types turn into `any`). A schema type missing here shows up the same way: as
// implicit-any errors in `pnpm typecheck` of a package that uses the schema.

export type {
  core,
  infer,
  input,
  output,
  ZodArray,
  ZodBoolean,
  ZodCatch,
  ZodCustom,
  ZodDefault,
  ZodDiscriminatedUnion,
  ZodEmail,
  ZodEnum,
  ZodInt,
  ZodISODate,
  ZodISODateTime,
  ZodISODuration,
  ZodISOTime,
  ZodIssue,
  ZodLiteral,
  ZodNonOptional,
  ZodNullable,
  ZodNumber,
  ZodNumberFormat,
  ZodObject,
  ZodOptional,
  ZodPipe,
  ZodPrefault,
  ZodRawShape,
  ZodReadonly,
  ZodRecord,
  ZodString,
  ZodStringFormat,
  ZodTransform,
  ZodType,
  ZodUnion,
  ZodUnknown,
  ZodURL,
  ZodUUID,
} from 'zod';
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
