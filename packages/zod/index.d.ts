// The types are zod's own: dist/index.js is zod bundled into one file (see src/index.ts).
export * from 'zod';
export { default } from 'zod';
