import type { ComponentChildren } from "preact";
import { isApiError } from "../../../client/index.ts";

/** What to tell a person about a failed call: the server's detail, or the field problems it listed. */
export function problemText(error: unknown): string {
  if (isApiError(error)) {
    const fields = error.errors.map((e) => `${e.path}: ${e.message}`).join("; ");
    if (error.status === 429 && error.retryAfterMs) return `${error.detail} Try again in ${Math.ceil(error.retryAfterMs / 1000)} s.`;
    return fields ? `${error.detail} (${fields})` : error.detail;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export function Field(props: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is one of the children
    <label class="field">
      <span>{props.label}</span>
      {props.children}
      {props.hint && <small>{props.hint}</small>}
    </label>
  );
}

export function ErrorLine({ error }: { error: string | null }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}
