import { useState } from "preact/hooks";
import type { AuthConfig } from "../../../src/protocol/auth";
import { useColink } from "../context.ts";
import { beginOidcSignIn } from "../oidc.ts";
import { ErrorLine, Field, problemText } from "./forms.tsx";

export function SignIn(props: { config: AuthConfig; notice: string | null; onDone: () => void }) {
  const colink = useColink();
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const oidc = props.config.oidc;

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await colink.login(login.trim(), password);
      props.onDone();
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };

  return (
    <main class="auth-page">
      <form class="card auth-card" onSubmit={submit} aria-labelledby="signin-title">
        <div class="logo" aria-hidden="true" />
        <h1 id="signin-title">Sign in to Colink</h1>
        {props.notice && <p class="notice">{props.notice}</p>}
        <Field label="Username or email">
          <input name="login" autocomplete="username" required value={login} onInput={(e) => setLogin(e.currentTarget.value)} autofocus />
        </Field>
        <Field label="Password">
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <ErrorLine error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        {oidc && (
          <>
            <div class="divider">
              <span>or</span>
            </div>
            <button type="button" onClick={() => beginOidcSignIn(oidc).catch((err: unknown) => setError(problemText(err)))} disabled={busy}>
              Continue with single sign-on
            </button>
          </>
        )}
        <p class="muted">
          Have an invite link? Open it, or <a href="#/register">create an account</a>.
        </p>
      </form>
    </main>
  );
}
