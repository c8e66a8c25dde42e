/**
 * Acceptance of chat prompts (issue 18): an instruct-style copy of the canary (a ChatML template
 * beside it) audited in-process, where its template renders each format's chat form, and through
 * `--api chat` against `litmus serve` (both real, on 127.0.0.1), which applies the same template.
 * The completions must be the same, and a chat run killed by a failing server resumes without
 * asking for any completion twice.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runAudit } from "../../src/audit/run.js";
import type { AuditOptions } from "../../src/audit/types.js";
import { CANARY_MODEL_DIR } from "../../src/data/litmus-mini.js";
import { CHAT_SYSTEM, loadChatTemplate } from "../../src/prompts/index.js";
import { OnnxBackend } from "../../src/runner/index.js";
import { type RunningServer, startServer } from "../../src/serve/index.js";
import { makeTempDir } from "../helpers/data-fixtures.js";
import { faultyProxy, quietDeps, runSamples } from "./faulty-proxy.js";
import { auditOptions } from "./helpers.js";

const CHATML = fileURLToPath(new URL("../../../tests/fixtures/chat-templates/chatml.jinja", import.meta.url));

function chatConfig(dir: string): unknown {
  return (
    JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as {
      manifest: { config: { chat?: unknown } };
    }
  ).manifest.config.chat;
}

describe("chat prompts: in-process chat template vs --api chat against litmus serve", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let instruct: string;
  let model: OnnxBackend;
  let server: RunningServer;

  before(async () => {
    tmp = await makeTempDir("litmus-chat-audit-");
    // The canary with a chat template beside it: what an instruct model's folder looks like.
    instruct = join(tmp.dir, "canary-instruct");
    mkdirSync(instruct);
    for (const f of readdirSync(CANARY_MODEL_DIR)) copyFileSync(join(CANARY_MODEL_DIR, f), join(instruct, f));
    copyFileSync(CHATML, join(instruct, "chat_template.jinja"));
    model = await OnnxBackend.open(instruct, { threads: 1 });
    server = await startServer(model, {
      modelName: "canary-instruct",
      port: 0,
      chatTemplate: loadChatTemplate(instruct, "auto"),
    });
  });
  after(async () => {
    await server.close();
    await model.close();
    await tmp.cleanup();
  });

  const base = (out: string, extra: Partial<AuditOptions> = {}): AuditOptions =>
    auditOptions("litmus-mini", out, {
      model: instruct,
      // qa: the canary's 577-token vocabulary makes few-shot chats longer than its 1024 positions.
      format: "qa",
      limit: 2,
      n: 2,
      ks: [1, 2],
      maxNewTokens: 24,
      ...extra,
    });

  it("gives the same completions both ways, and a killed chat run resumes asking each once", async () => {
    const proxy = await faultyProxy(server.url, (url) => url.endsWith("/chat/completions"));
    try {
      const openai = {
        endpoint: proxy.url,
        modelName: "canary-instruct",
        concurrency: 4,
        timeoutS: 60,
        retries: 1,
        bosText: "",
        api: "chat" as const,
      };
      const viaChat = join(tmp.dir, "chat-api");
      proxy.state.failAfter = 6;
      await assert.rejects(
        runAudit(base(viaChat, { model: "openai:canary-instruct", openai }), { failOn: [] }, quietDeps()),
        /HTTP 500: simulated outage/,
      );
      assert.equal(proxy.state.forwarded, 6);
      proxy.state.failAfter = Number.POSITIVE_INFINITY;
      const resumed = await runAudit(
        base(viaChat, { model: "openai:canary-instruct", openai }),
        { failOn: [] },
        quietDeps(),
      );
      assert.equal(resumed.resumed, true);
      const total = runSamples(viaChat).length;
      assert.equal(proxy.state.forwarded, total, "every chat completion asked for exactly once");
      assert.equal(resumed.generated, total - 6);

      const inProcess = join(tmp.dir, "in-process");
      await runAudit(base(inProcess), { failOn: [] }, { ...quietDeps(), hashModel: async () => ({}) });
      const key = (r: Record<string, unknown>) => `${r["request_id"]}#${r["sample_index"]}`;
      const direct = new Map(runSamples(inProcess).map((r) => [key(r), r]));
      assert.equal(direct.size, total);
      let greedy = 0;
      for (const r of runSamples(viaChat)) {
        const d = direct.get(key(r))!;
        assert.equal(r["completion"], d["completion"], key(r));
        assert.equal(r["finish_reason"], d["finish_reason"], key(r));
        assert.equal(r["seed"], d["seed"], key(r));
        if (r["sample_index"] === null) greedy++;
        // The in-process record is the template's text; the chat API's is the messages' transcript.
        assert.ok(String(d["prompt"]).startsWith(`<|im_start|>system\n${CHAT_SYSTEM["qa"]}<|im_end|>\n`));
        assert.ok(String(d["prompt"]).endsWith("<|im_start|>assistant\n"));
        assert.ok(String(r["prompt"]).startsWith(`System: ${CHAT_SYSTEM["qa"]}\n\nUser: Question: `));
      }
      assert.ok(greedy >= 2, "greedy completions compared");
      assert.deepEqual(chatConfig(viaChat), { via: "api", system: CHAT_SYSTEM["qa"] });
      const local = chatConfig(inProcess) as { via: string; template: { origin: string; sha256: string } };
      assert.equal(local.via, "template");
      assert.equal(local.template.origin, "model");
      assert.equal(local.template.sha256, loadChatTemplate(instruct, "auto")!.sha256);
    } finally {
      await proxy.close();
    }
  });

  it("refuses to resume an in-process chat run as plain prompts (--chat-template none)", async () => {
    const out = join(tmp.dir, "switch");
    await runAudit(
      base(out, { format: "qa", n: 0, ks: [1], limit: 1 }),
      { failOn: [] },
      { ...quietDeps(), hashModel: async () => ({}) },
    );
    await assert.rejects(
      runAudit(
        base(out, { format: "qa", n: 0, ks: [1], limit: 1, chatTemplate: "none" }),
        { failOn: [] },
        { ...quietDeps(), hashModel: async () => ({}) },
      ),
      /holds a run with a different configuration \(chat: .* -> \(none\)\)/,
    );
  });
});
