// The upload bench's reference Worker: what storing an upload costs with nothing else around it.
//
//   GET /healthz      200 (the launcher waits for it)
//   PUT /put/:key     env.B.put(key, request.body) → 204: the body streams into the R2 binding,
//                     as Colink's local upload route streams it (without its token, size and D1 checks)

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return new Response("ok");
    if (request.method === "PUT" && url.pathname.startsWith("/put/")) {
      await env.B.put(url.pathname.slice("/put/".length), request.body);
      return new Response(null, { status: 204 });
    }
    return new Response("not found", { status: 404 });
  },
};
