import { useState } from "preact/hooks";
import type { ReportReason } from "../../../client/index.ts";
import { useColink } from "../context.ts";
import { Dialog } from "./Dialog.tsx";
import { ErrorLine, Field, problemText } from "./forms.tsx";

const REASONS: [ReportReason, string][] = [
  ["spam", "Spam"],
  ["abuse", "Abuse"],
  ["harassment", "Harassment"],
  ["other", "Something else"],
];

/** Reports a message to the workspace's admins (once per person and message). */
export function ReportDialog(props: { channelId: string; messageId: string; onClose: () => void }) {
  const colink = useColink();
  const [reason, setReason] = useState<ReportReason>("spam");
  const [comment, setComment] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  return (
    <Dialog label="Report message" onClose={props.onClose}>
      {done ? (
        <div class="stack">
          <h2>Reported</h2>
          <p role="status">Thank you. The workspace's admins will look at it.</p>
          <div class="row-end">
            <button type="button" class="primary" onClick={props.onClose}>
              Close
            </button>
          </div>
        </div>
      ) : (
        <form
          class="stack"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            try {
              await colink.api.reportMessage(props.channelId, props.messageId, reason, comment.trim() || undefined);
              setDone(true);
            } catch (err) {
              setError(problemText(err));
            }
          }}
        >
          <h2>Report this message</h2>
          <Field label="Reason">
            <select value={reason} onChange={(e) => setReason(e.currentTarget.value as ReportReason)}>
              {REASONS.map(([r, label]) => (
                <option key={r} value={r}>
                  {label}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Comment (optional)">
            <textarea rows={3} maxLength={1000} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          </Field>
          <ErrorLine error={error} />
          <div class="row-end">
            <button type="button" onClick={props.onClose}>
              Cancel
            </button>
            <button type="submit" class="primary">
              Report
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
