/**
 * Errors a user can cause (a bad flag, a bad config field, a mismatched checkpoint). They carry a
 * message that says what is wrong and what to do; the CLI prints it and exits with code 2.
 * Internal invariants use plain `Error` (or asserts) instead.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  /** The config field or flag at fault, when there is one (e.g. `--latents`, `variant.palette[2]`). */
  readonly field?: string;

  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}
