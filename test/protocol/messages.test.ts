import { describe, expect, it } from "vitest";
import { parseClientFrame } from "../../src/protocol/frames";
import { EMPTY_MESSAGE_ERROR, SendMessageBodySchema } from "../../src/protocol/messages";

// The send rules (`withSendRules`) the HTTP body and the socket's `send` frame share.

const FILE = "f_00000000000000000000000000";

describe("the send schema", () => {
  it("takes text alone, files alone (empty text), or both; neither is refused at `text`", () => {
    expect(SendMessageBodySchema.safeParse({ text: "hi" }).success).toBe(true);
    expect(SendMessageBodySchema.safeParse({ text: "", file_ids: [FILE] }).success).toBe(true);
    expect(SendMessageBodySchema.safeParse({ text: " " }).success).toBe(true);
    for (const body of [{ text: "" }, { text: "", file_ids: [] }]) {
      const parsed = SendMessageBodySchema.safeParse(body);
      expect(parsed.error?.issues.map((i) => ({ path: i.path.join("."), message: i.message }))).toEqual([EMPTY_MESSAGE_ERROR]);
    }
  });

  it("names the empty message beside other field problems, and leaves it out while text or file_ids are themselves wrong", () => {
    const paths = (body: unknown) => SendMessageBodySchema.safeParse(body).error?.issues.map((i) => i.path.join(".") || "(root)");
    expect(paths({ text: "", thread_root_id: "m_nope" })).toEqual(["thread_root_id", "text"]);
    expect(paths({ text: "", surprise: 1 })).toEqual(["(root)", "text"]);
    expect(paths({ text: 5 })).toEqual(["text"]);
    expect(paths({ text: "", file_ids: ["nope"] })).toEqual(["file_ids.0"]);
  });

  it("refuses a body that is not an object without throwing (OpenAPI generation parses null too)", () => {
    for (const body of [null, undefined, [], "text", 5, true]) expect(SendMessageBodySchema.safeParse(body).success).toBe(false);
  });

  it("is the send frame's schema too: the same input, the same field errors", () => {
    const frame = (body: Record<string, unknown>) =>
      parseClientFrame(JSON.stringify({ type: "send", channel_id: "c_00000000000000000000000000", client_msg_id: "k", ...body }));
    expect(frame({ text: "", file_ids: [FILE] }).ok).toBe(true);
    const refused = frame({ text: "" });
    expect(refused.ok).toBe(false);
    if (!refused.ok)
      expect(JSON.parse(refused.error)).toMatchObject({ status: 422, code: "validation_failed", errors: [EMPTY_MESSAGE_ERROR] });
  });
});
