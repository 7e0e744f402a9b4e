import { ARGON2ID_PARAMS, argon2idHash, argon2idVerify } from "../../lib/argon2id";
import { invalid } from "../../lib/ColinkError";
import { newSecret } from "../../lib/ids";
import { COMMON_PASSWORDS } from "./commonPasswords";

// NFC so that the same password typed on macOS (often NFD) and elsewhere hashes the same.
const normalize = (password: string) => password.normalize("NFC");

const CURRENT_PREFIX = `$argon2id$v=19$m=${ARGON2ID_PARAMS.memoryKiB},t=${ARGON2ID_PARAMS.passes},p=${ARGON2ID_PARAMS.lanes}$`;

export const hashPassword = (password: string) => argon2idHash(normalize(password));

/** True when a stored hash was made with other parameters and should be replaced at the next login. */
export const needsRehash = (encoded: string) => !encoded.startsWith(CURRENT_PREFIX);

// A real hash at the current cost, so that checking a login for an unknown user (or one without a
// password) takes as long as for a known one and does not reveal which accounts exist.
let dummyHash: Promise<string> | undefined;

/** Checks a password against a stored hash; with no hash it still does the work and says no. */
export async function verifyPassword(encoded: string | null, password: string): Promise<boolean> {
  if (encoded === null) {
    dummyHash ??= argon2idHash(newSecret());
    await argon2idVerify(await dummyHash, normalize(password));
    return false;
  }
  return argon2idVerify(encoded, normalize(password));
}

/**
 * Rejects a new password that is common or is the account's own name (422 `weak_password`).
 * Length is checked by the request schema (protocol/auth.ts).
 */
export function assertStrongPassword(password: string, account: { username: string; email: string }): void {
  const lower = normalize(password).toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) throw invalid("password", "This password is too common; choose another.", "weak_password");
  const email = account.email.toLowerCase();
  const own = [account.username.toLowerCase(), email, email.split("@")[0]];
  if (own.includes(lower)) throw invalid("password", "The password must not be your username or email address.", "weak_password");
}
