"""Drives the official python-intercom SDK 5.0.1 (installed by install.sh) for
`icsync bench sync --peers`: what a script written with the SDK does to read a workspace.

usage: sdk_bench.py BASE_URL TOKEN

Pages every contact (`contacts.list`, 150 a page), every company (`companies.scroll`) and
every conversation (`conversations.list`, 150 a page), then retrieves each conversation for its
parts (`conversations.find`), one request at a time, with the SDK's own defaults (its retries
wait for `X-RateLimit-Reset` on a 429). Records are counted, not stored. Prints one JSON
object: {"tool": "python-intercom", "exit": 0, "records": {"contacts": N, ...}}.
"""
import json
import sys
import traceback

from intercom import Intercom


def main():
    base_url, token = sys.argv[1], sys.argv[2]
    client = Intercom(token=token, base_url=base_url, timeout=300)
    counts = {"contacts": 0, "companies": 0, "conversations": 0, "conversation_parts": 0}
    code = 0
    try:
        for _ in client.contacts.list(per_page=150):
            counts["contacts"] += 1
        for _ in client.companies.scroll():
            counts["companies"] += 1
        ids = [c.id for c in client.conversations.list(per_page=150)]
        counts["conversations"] = len(ids)
        for conversation_id in ids:
            conversation = client.conversations.find(conversation_id=conversation_id)
            parts = conversation.conversation_parts
            counts["conversation_parts"] += len(parts.conversation_parts or []) if parts else 0
    except Exception:  # report what failed; the harness shows the exit code
        traceback.print_exc()
        code = 1
    print(json.dumps({"tool": "python-intercom", "exit": code, "records": counts}))
    sys.exit(code)


if __name__ == "__main__":
    main()
