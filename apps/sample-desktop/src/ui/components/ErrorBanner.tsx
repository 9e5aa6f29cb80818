/** One error shown to the user. */
export interface UiError {
  readonly id: number;
  /** The command that failed, when there was one. */
  readonly command?: string;
  readonly code: string;
  readonly message: string;
}

/** Props of {@link ErrorBanner}. */
export interface ErrorBannerProps {
  readonly errors: readonly UiError[];
  readonly onDismiss: (id: number) => void;
}

/** The errors of failed commands (typed `error` messages of the host), newest first, dismissible. */
export function ErrorBanner({ errors, onDismiss }: ErrorBannerProps) {
  if (errors.length === 0) return null;
  return (
    <div className="error-banner" role="alert">
      {errors.map((e) => (
        <div key={e.id} className="error" data-testid="error">
          <strong>{e.command ? `${e.command} failed` : 'Error'}</strong> <code>{e.code}</code> {e.message}
          <button type="button" aria-label="Dismiss" onClick={() => onDismiss(e.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
