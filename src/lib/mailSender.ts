import { log } from "./log";

// Colink sends no e-mail yet: a password reset is handed over by the admin who made it. Actions
// that would mail someone call a MailSender anyway, so that a real one (an e-mail binding, an
// HTTP API) plugs in here later without touching them.

export type MailMessage = {
  to: string;
  subject: string;
  /** May hold secrets (a reset token): never logged. */
  text: string;
};

export interface MailSender {
  send(message: MailMessage): Promise<void>;
}

/** The default: notes in the log that a message was not sent, naming neither its body nor its recipient's secret. */
export const logOnlyMailSender: MailSender = {
  async send(message) {
    log("info", "mail not sent: no mail service is configured", { subject: message.subject, to_domain: message.to.split("@").at(-1) });
  },
};

/** The deployment's mail sender. */
export function mailSender(_env: Env): MailSender {
  return logOnlyMailSender;
}
