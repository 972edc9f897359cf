// Test only (cmd/cloudemu/nodesdk_test.go): Tencent's official Node.js SDK
// makes a list of API calls and prints what it read, so that a Go test can
// compare it with what the Go SDK reads from the same emulator.
//
// stdin: {"endpoint": "127.0.0.1:9000", "secretId", "secretKey", "token",
//         "region", "calls": [{"product": "redis", "action": "...",
//         "params": {...}, "secretKey": "optional, another key"}]}
// stdout: one JSON array, per call {"action", "response"} (the SDK's
// answer) or {"action", "error": {"code", "message"}}.
"use strict";

const tencentcloud = require("tencentcloud-sdk-nodejs");

// The product clients, at the API versions the function uses.
const clients = {
  redis: tencentcloud.redis.v20180412.Client,
  tdmq: tencentcloud.tdmq.v20200217.Client,
  ssm: tencentcloud.ssm.v20190923.Client,
  sts: tencentcloud.sts.v20180813.Client,
  scf: tencentcloud.scf.v20180416.Client,
  monitor: tencentcloud.monitor.v20180724.Client,
};

// substitute: a string parameter "{{N.Field}}" is Field of answer N (a
// TaskId the emulator gave), as in the Go test.
function substitute(params, out) {
  const res = {};
  for (const [k, v] of Object.entries(params || {})) {
    const m = typeof v === "string" && /^\{\{(\d+)\.(\w+)\}\}$/.exec(v);
    if (m && !(out[m[1]] && out[m[1]].response)) throw new Error(`${v} refers to answer ${m[1]}, which has no response`);
    res[k] = m ? out[m[1]].response[m[2]] : v;
  }
  return res;
}

async function main() {
  const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const out = [];
  for (const c of input.calls) {
    const Client = clients[c.product];
    if (!Client) throw new Error(`unknown product ${c.product}`);
    const client = new Client({
      credential: { secretId: input.secretId, secretKey: c.secretKey || input.secretKey, token: input.token },
      region: input.region,
      profile: { httpProfile: { endpoint: input.endpoint, protocol: "http://", reqTimeout: 30 } },
    });
    try {
      out.push({ action: c.action, response: await client[c.action](substitute(c.params, out)) });
    } catch (e) {
      if (!e.code) throw e; // not an API error: the call did not happen as it should
      out.push({ action: c.action, error: { code: e.code, message: e.message } });
    }
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
