import { describe, expect, it } from "vitest";
import { MAX_URL_LENGTH } from "../../src/middleware/limitUrlLength";
import { call, expectProblem, registerOwner } from "../helpers";

// URLs longer than Colink serves get problem+json 414, as the OpenAPI document says.

describe("limitUrlLength", () => {
  it("answers 414 uri_too_long past the limit and serves a long URL under it", async () => {
    const owner = await registerOwner();
    const base = "https://colink.test/api/v1/users?query=";
    const over = await call("GET", `/users?query=${"a".repeat(MAX_URL_LENGTH - base.length + 1)}`, { token: owner.token });
    expectProblem(over, 414, "uri_too_long");
    // The longest legitimate URL: a presence read of 500 user ids.
    const ids = Array.from({ length: 500 }, (_, i) => `u_${String(i).padStart(26, "0")}`).join(",");
    const presence = await call("GET", `/users/presence?ids=${ids}`, { token: owner.token });
    expect(presence.status, JSON.stringify(presence.body).slice(0, 200)).toBe(200);
  });
});
