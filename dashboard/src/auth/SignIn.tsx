import { useState, type FormEvent } from 'react';
import { saveToken, type SignOutReason } from './token-store';

const MESSAGES: Record<SignOutReason, string | undefined> = {
  refused: 'The API refused your token: it may have been revoked. Enter a valid API token.',
  'signed-out': undefined,
};

/** The sign-in form: one field, labelled "API token"; the token stays in this tab's sessionStorage. */
export function SignIn({ reason }: { reason: SignOutReason | undefined }) {
  const [value, setValue] = useState('');
  const message = reason ? MESSAGES[reason] : undefined;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) saveToken(value);
  };
  return (
    <main className="sign-in" id="main">
      <h1>costgraph</h1>
      <p>Cloud and Kubernetes costs side by side.</p>
      {message && (
        <p className="banner banner-error" role="alert">
          {message}
        </p>
      )}
      <form onSubmit={submit}>
        <label htmlFor="api-token">API token</label>
        <input
          id="api-token"
          name="api-token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-describedby="api-token-help"
        />
        <p id="api-token-help" className="help">
          <code>costgraph up</code> prints a sign-in link; or create a token with <code>costgraph token create --org ID</code>. It is kept in this
          tab only and forgotten when the tab closes.
        </p>
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
