import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { argon2idHash } from "../../../src/lib/argon2id";
import { ColinkError } from "../../../src/lib/ColinkError";
import { COMMON_PASSWORDS } from "../../../src/services/auth/commonPasswords";
import { assertStrongPassword, hashPassword, needsRehash, verifyPassword } from "../../../src/services/auth/passwords";
import { logIn, registerOwner } from "../../helpers";

const account = { username: "ada.lovelace", email: "ada@example.test" };

function weakness(password: string): string | null {
  try {
    assertStrongPassword(password, account);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(ColinkError);
    expect(err).toMatchObject({ status: 422, code: "weak_password", extra: { errors: [{ path: "password" }] } });
    return (err as ColinkError).detail;
  }
}

describe("password policy", () => {
  it("ships a list of hundreds of common passwords, lowercase, none shorter than the minimum", () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThan(2000);
    for (const p of ["password", "12345678", "iloveyou", "qwerty123", "1q2w3e4r", "sunshine"]) expect(COMMON_PASSWORDS.has(p)).toBe(true);
    for (const p of COMMON_PASSWORDS) {
      expect(p.length).toBeGreaterThanOrEqual(8);
      expect(p).toBe(p.toLowerCase());
    }
  });

  it("refuses common passwords whatever their case", () => {
    for (const p of ["password", "PassWord", "QWERTY123", "Football", "trustno1"]) expect(weakness(p)).toMatch(/common/);
  });

  it("refuses the account's own username, email or email name", () => {
    for (const p of ["ada.lovelace", "ADA.LOVELACE", "ada@example.test", "Ada@Example.Test"])
      expect(weakness(p)).toMatch(/username or email/);
    expect(weakness("ada")).toMatch(/username or email/);
  });

  it("accepts a reasonable password", () => {
    expect(weakness("correct horse battery staple")).toBeNull();
    expect(weakness("Zürich-Mühle-42")).toBeNull();
  });
});

describe("password hashing", () => {
  it("verifies the same password in either Unicode normal form", async () => {
    const encoded = await hashPassword("Zürich-Mühle-42".normalize("NFD"));
    expect(await verifyPassword(encoded, "Zürich-Mühle-42".normalize("NFC"))).toBe(true);
    expect(await verifyPassword(encoded, "Zurich-Muhle-42")).toBe(false);
  });

  it("says no to an account without a hash, after doing the same work", async () => {
    expect(await verifyPassword(null, "anything-at-all")).toBe(false);
  });

  it("knows which hashes are below the current parameters", async () => {
    expect(needsRehash(await hashPassword("some password 1"))).toBe(false);
    expect(needsRehash(await argon2idHash("some password 1", { memoryKiB: 64, passes: 1, lanes: 1 }))).toBe(true);
  });

  it("upgrades an old hash at the next successful sign-in", async () => {
    const owner = await registerOwner();
    const old = await argon2idHash(owner.password, { memoryKiB: 64, passes: 1, lanes: 1 });
    await env.DB.prepare("UPDATE users SET password_hash = ?").bind(old).run();
    expect((await logIn(owner.user.username, owner.password)).status).toBe(200);
    const row = await env.DB.prepare("SELECT password_hash FROM users").first<{ password_hash: string }>();
    expect(row?.password_hash).not.toBe(old);
    expect(needsRehash(row?.password_hash ?? "")).toBe(false);
    expect((await logIn(owner.user.username, owner.password)).status).toBe(200);
  });
});
