/** Stable codes of the errors this package throws. */
export type AccessManagerReactErrorCode = 'no_provider' | 'client_only';

/**
 * What a hook of this package throws, for an error boundary to branch on by `code`:
 * `no_provider` (a hook outside `<AccessManagerProvider>`), `client_only`
 * (`useAccessTokenSuspense` rendered on the server, where its Suspense boundary shows the
 * fallback). Errors of the manager itself reach boundaries as the core's `AccessManagerError`.
 *
 * @example
 * ```tsx
 * function Fallback({ error }: { error: unknown }) {
 *   if (error instanceof AccessManagerReactError && error.code === 'no_provider') return <Misconfigured />;
 *   return <SignInAgain />;
 * }
 * ```
 */
export class AccessManagerReactError extends Error {
  override name = 'AccessManagerReactError';
  declare readonly code: AccessManagerReactErrorCode;
  constructor(code: AccessManagerReactErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
