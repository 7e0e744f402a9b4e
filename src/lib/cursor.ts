import type { z } from "zod";
import { ColinkError } from "./ColinkError";

// Opaque pagination cursors: base64url JSON. Opaque so clients never build them and we may change
// what is inside; validated on the way back in, so a forged one is a 400, never a 500.

export function encodeCursor(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const json: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: not base64 or not JSON
  }
  throw new ColinkError(400, "invalid_cursor", "The cursor is invalid; start again without one.");
}
