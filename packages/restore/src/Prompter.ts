/** One answer offered by a {@link Prompter} question. */
export interface PromptChoice<T> {
  value: T;
  /** What people see: `20260121-020000  2026-01-21 02:00 UTC  1.2 GiB`. */
  name: string;
  /** Shown for the highlighted choice. */
  description?: string | undefined;
  /** Pre-checked (checkbox questions). */
  checked?: boolean | undefined;
}

/** A single-choice question. */
export interface SelectQuestion<T> {
  message: string;
  choices: PromptChoice<T>[];
  /** The flag that answers this question without a prompt (`--job`), for hints and errors. */
  flag: string;
}

/** A multiple-choice question; at least one answer is required. */
export interface CheckboxQuestion<T> {
  message: string;
  choices: PromptChoice<T>[];
  /** The flag that answers this question without a prompt (`--database`). */
  flag: string;
}

/** A yes/no question. */
export interface ConfirmQuestion {
  message: string;
  /** The flag that answers it without a prompt (`--yes`). */
  flag: string;
  /** Default answer; `false` unless given. */
  default?: boolean | undefined;
}

/**
 * How the restore flow asks a person, injected by the app: `backup-restore` implements it with
 * `@inquirer/prompts` on a TTY, tests with scripted answers. Without a prompter (not a TTY) every
 * question must be answered by its flag, else the flow throws `CONFIG_INVALID` naming the flag.
 * Implementations reject with `ABORTED` when the person cancels (Ctrl-C).
 */
export interface Prompter {
  select<T>(question: SelectQuestion<T>): Promise<T>;
  checkbox<T>(question: CheckboxQuestion<T>): Promise<T[]>;
  confirm(question: ConfirmQuestion): Promise<boolean>;
}
