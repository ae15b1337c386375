// Drives Intercom's official Node SDK (intercom-client 7.0.3, installed by install.sh) for
// `icsync bench sync --peers`: what a script written with the SDK does to read a workspace.
//
// usage: NODE_PATH=<dir>/node_modules node node_bench.cjs BASE_URL TOKEN
//
// Pages every contact (`contacts.list`, 150 a page), every company (`companies.scroll`, until
// the first empty page, as the API reference says) and every conversation
// (`conversations.list`, 150 a page), then retrieves each conversation for its parts
// (`conversations.find`), one request at a time, with the SDK's defaults (its retries wait for
// `X-RateLimit-Reset` on a 429). Records are counted, not stored. Prints one JSON object:
// {"tool": "intercom-client", "exit": 0, "records": {"contacts": N, ...}}.
"use strict";

const { IntercomClient } = require("intercom-client");

async function main() {
  const [base, token] = process.argv.slice(2);
  const client = new IntercomClient({ token, baseUrl: base, timeoutInSeconds: 300 });
  const counts = { contacts: 0, companies: 0, conversations: 0, conversation_parts: 0 };
  let code = 0;
  try {
    for await (const _ of await client.contacts.list({ per_page: 150 })) counts.contacts += 1;
    let page = await client.companies.scroll();
    while (page.data.length > 0) {
      counts.companies += page.data.length;
      if (!page.hasNextPage()) break;
      page = await page.getNextPage();
    }
    const ids = [];
    for await (const c of await client.conversations.list({ per_page: 150 })) ids.push(c.id);
    counts.conversations = ids.length;
    for (const id of ids) {
      const conversation = await client.conversations.find({ conversation_id: id });
      const parts = conversation.conversation_parts;
      counts.conversation_parts += parts && parts.conversation_parts ? parts.conversation_parts.length : 0;
    }
  } catch (e) {
    console.error(e && e.stack ? e.stack : e);
    code = 1;
  }
  console.log(JSON.stringify({ tool: "intercom-client", exit: code, records: counts }));
  process.exit(code);
}

main();
