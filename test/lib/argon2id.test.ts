import { describe, expect, it } from "vitest";
import { argon2idHash, argon2idVerify } from "../../src/lib/argon2id";

// Cheap parameters where the cost itself is not under test.
const FAST = { memoryKiB: 64, passes: 1, lanes: 1 } as const;

describe("argon2id", () => {
  it("makes a standard PHC string at the OWASP parameters and verifies it", async () => {
    const encoded = await argon2idHash("correct horse battery staple");
    expect(encoded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await argon2idVerify(encoded, "correct horse battery staple")).toBe(true);
    expect(await argon2idVerify(encoded, "correct horse battery stapl")).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await argon2idHash("same password", FAST)).not.toBe(await argon2idHash("same password", FAST));
  });

  it("hashes every byte of a non-ASCII password", async () => {
    // 9 UTF-16 units but 18 UTF-8 bytes: a length mix-up would only hash the first 9 bytes.
    const encoded = await argon2idHash("ééééééééé", FAST);
    expect(await argon2idVerify(encoded, "ééééééééé")).toBe(true);
    expect(await argon2idVerify(encoded, "éééééxyzw")).toBe(false);
    const emoji = await argon2idHash("🔑🔑🔑🔑", FAST);
    expect(await argon2idVerify(emoji, "🔑🔑🔑🔑")).toBe(true);
    expect(await argon2idVerify(emoji, "🔑🔑🔑🔒")).toBe(false);
  });

  it("agrees with an independent implementation, UTF-8 passwords included", async () => {
    // `echo -n password | argon2 somesalt -id -t 2 -m 16 -p 1 -e`; the second from hash-wasm.
    const ascii = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
    expect(await argon2idVerify(ascii, "password")).toBe(true);
    expect(await argon2idVerify(ascii, "Password")).toBe(false);
    const utf8 = "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$3QYrbVjOkw607cja8UlaVRSMwzuhhOwrNTPNxECbRyE";
    expect(await argon2idVerify(utf8, "pässwörd")).toBe(true);
  });

  it("says no, without throwing, to malformed hashes", async () => {
    for (const bad of ["", "nonsense", "$argon2id$v=19$m=19456,t=2,p=1$$", "$argon2i$v=19$m=16,t=2,p=1$c29tZXNhbHQ$AAAA"]) {
      expect(await argon2idVerify(bad, "password")).toBe(false);
    }
  });
});
