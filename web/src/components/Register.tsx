import { useState } from "preact/hooks";
import { useColink } from "../context.ts";
import { ErrorLine, Field, problemText } from "./forms.tsx";

/** Sign-up, usually from an invite link (#/invite/<token>); without one only when sign-up is open or for the first account. */
export function Register(props: { invite: string | null; openSignup: boolean; onDone: () => void }) {
  const colink = useColink();
  const [form, setForm] = useState({ email: "", username: "", display_name: "", password: "", invite: props.invite ?? "" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const set = (k: keyof typeof form) => (e: { currentTarget: HTMLInputElement }) => setForm({ ...form, [k]: e.currentTarget.value });

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await colink.register({
        email: form.email.trim(),
        username: form.username.trim(),
        password: form.password,
        ...(form.display_name.trim() ? { display_name: form.display_name.trim() } : {}),
        ...(form.invite.trim() ? { invite_token: form.invite.trim() } : {}),
      });
      props.onDone();
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };

  return (
    <main class="auth-page">
      <form class="card auth-card" onSubmit={submit} aria-labelledby="register-title">
        <div class="logo" aria-hidden="true" />
        <h1 id="register-title">Create your account</h1>
        {props.invite ? <p class="notice">You were invited to this workspace.</p> : null}
        <Field label="Email">
          <input type="email" autocomplete="email" required value={form.email} onInput={set("email")} />
        </Field>
        <Field label="Username" hint="2–32 lowercase letters, digits, '.', '_' or '-'">
          <input autocomplete="username" required value={form.username} onInput={set("username")} />
        </Field>
        <Field label="Display name">
          <input autocomplete="name" value={form.display_name} onInput={set("display_name")} />
        </Field>
        <Field label="New password" hint="At least 8 characters">
          <input type="password" autocomplete="new-password" required minLength={8} value={form.password} onInput={set("password")} />
        </Field>
        {!props.invite && (
          <Field label="Invite code" hint={props.openSignup ? "Not needed here: sign-up is open" : "From the person who invited you"}>
            <input value={form.invite} onInput={set("invite")} />
          </Field>
        )}
        <ErrorLine error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Create account
        </button>
        <p class="muted">
          Already have an account? <a href="#/">Sign in</a>.
        </p>
      </form>
    </main>
  );
}
