// Fidelity check 3: Intercom's official Node SDK (intercom-client 7, installed by run.sh under
// target/, never vendored) pages every contact, company (scroll) and conversation with its
// own default headers (Intercom-Version 2.14), and the counts must equal /_sim/summary.
//
// usage: NODE_PATH=<dir>/node_modules node node_check.cjs BASE_URL TOKEN
"use strict";

const { IntercomClient } = require("intercom-client");

async function main() {
  const [base, token] = process.argv.slice(2);
  const control = async (path) => {
    const r = await fetch(`${base}${path}`);
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.json();
  };
  const summary = await control("/_sim/summary");
  const since = (await control("/_sim/journal?since=0&limit=1")).total;
  const client = new IntercomClient({ token, baseUrl: base });
  const failures = [];
  const expect = (what, got, want) => {
    const ok = got === want;
    console.log(`node sdk: ${what}: sdk=${got} summary=${want} ${ok ? "ok" : "MISMATCH"}`);
    if (!ok) failures.push(what);
  };

  const contacts = [];
  for await (const c of await client.contacts.list({ per_page: 150 })) contacts.push(c.id);
  expect("contacts listed", contacts.length, summary.contacts);
  expect("distinct contact ids", new Set(contacts).size, summary.contacts);

  // The SDK's scroll pager continues while a scroll_param comes back; Intercom keeps sending
  // one on the final, empty page (the SDK's own integration test of the scroll is skipped as
  // "infinite"), so the end is the first empty page, as the API reference says.
  const companies = [];
  let page = await client.companies.scroll();
  while (page.data.length > 0) {
    for (const c of page.data) companies.push(c.id);
    if (!page.hasNextPage()) break;
    page = await page.getNextPage();
  }
  expect("companies scrolled", companies.length, summary.companies);
  expect("distinct company ids", new Set(companies).size, summary.companies);

  const conversations = [];
  for await (const c of await client.conversations.list({ per_page: 150 })) conversations.push(c.id);
  expect("conversations listed", conversations.length, summary.conversations);

  const journal = await control(`/_sim/journal?since=${since}&limit=100000`);
  const versions = [...new Set(journal.entries.map((e) => e.intercom_version))];
  console.log(`node sdk: ${journal.entries.length} requests, Intercom-Version sent: ${versions.join(", ")}`);
  const refused = journal.entries.filter((e) => e.status !== 200);
  expect("requests refused", refused.length, 0);

  if (failures.length) {
    console.log(`node sdk check FAILED: ${failures.join(", ")}`);
    process.exit(1);
  }
  console.log("node sdk check passed");
}

main().catch((e) => {
  console.log(`node sdk check FAILED: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
