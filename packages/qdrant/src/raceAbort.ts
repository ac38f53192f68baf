import { BackupError } from '@backup/core';

/**
 * Resolves like `promise`, but rejects with `ABORTED` as soon as `signal` fires. For calls that
 * take no signal (the `@qdrant/js-client-rest` methods replace the request signal with their own
 * timeout signal); the abandoned request ends at its own timeout. `onLate` receives the value when
 * an abandoned call still succeeds (e.g. to delete a snapshot that was created after a SIGTERM).
 */
export function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  what: string,
  onLate?: (value: T) => void,
): Promise<T> {
  const abandon = () => {
    promise.then(
      (value) => onLate?.(value),
      () => {},
    );
    return new BackupError('ABORTED', `${what} was aborted`);
  };
  if (signal.aborted) return Promise.reject(abandon());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abandon());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
