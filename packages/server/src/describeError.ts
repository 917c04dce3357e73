/**
 * One line about whatever was thrown (`Name: message` for an error), which never throws itself:
 * an `authorize` may throw an error whose `name` or `message` getter throws, an object without
 * a prototype (no `toString`), a revoked proxy (`instanceof` throws). The handler promises to
 * answer 500 and log one line whatever it is, so describing it must not fail too.
 */
export function describeError(error: unknown): string {
  try {
    if (error instanceof Error) return `${String(error.name)}: ${String(error.message)}`;
    return String(error);
  } catch {
    // `typeof` is the one question any value answers without running its code.
    return `a thrown ${typeof error} that cannot be described`;
  }
}
