// The pass-through Worker the load test compares mitgate with: forwards every request to the processor
// without checking anything (what a merchant's edge proxy costs without mitgate). `/<dialect>/<path>` goes to
// `${UPSTREAM}/<dialect>/<path>` (the sandbox processor's layout); any other path answers 200 `{}` at once
// (the floor of a Worker answering from its own code, beside mitgate's `POST /v1/decisions`).
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (!/^\/(infinic|coinflow|spg|axerve)\//.test(url.pathname)) {
      await request.arrayBuffer();
      return new Response("{}", { headers: { "content-type": "application/json" } });
    }
    const headers = new Headers(request.headers);
    headers.delete("x-mitgate-key");
    return fetch(env.UPSTREAM + url.pathname + url.search, {
      method: request.method,
      headers,
      body: request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer(),
    });
  },
};
