"""Fidelity check 2: the official python-intercom SDK lists everything and agrees with /_sim/summary.

usage: sdk_check.py BASE_URL TOKEN
Lists every contact, every company (scroll), every conversation and one contact's events
through the SDK, and compares the counts with the simulator's own summary. Exits 1 on mismatch.
"""
import sys

import httpx
from intercom import Intercom


def main():
    base_url, token = sys.argv[1], sys.argv[2]
    control = httpx.Client(base_url=base_url, timeout=60)
    summary = control.get("/_sim/summary").raise_for_status().json()
    client = Intercom(token=token, base_url=base_url, timeout=60)
    failures = []

    def expect(what, got, want):
        status = "ok" if got == want else "MISMATCH"
        print(f"sdk: {what}: sdk={got} summary={want} {status}")
        if got != want:
            failures.append(what)

    contacts = [c.id for c in client.contacts.list(per_page=150)]
    expect("contacts listed", len(contacts), summary["contacts"])
    expect("distinct contact ids", len(set(contacts)), summary["contacts"])

    companies = [c.id for c in client.companies.scroll()]
    expect("companies scrolled", len(companies), summary["companies"])
    expect("distinct company ids", len(set(companies)), summary["companies"])

    conversations = [c.id for c in client.conversations.list(per_page=150)]
    expect("conversations listed", len(conversations), summary["conversations"])

    # One contact with events: list them through the SDK and follow pages.next verbatim.
    contact_id, counts = None, None
    for cid in contacts:
        c = control.get(f"/_sim/contacts/{cid}/events").raise_for_status().json()
        if c["listable"] > 20:
            contact_id, counts = cid, c
            break
    if contact_id is None:
        failures.append("no contact with more than 20 listable events")
    else:
        first = client.events.with_raw_response.list(type="user", intercom_user_id=contact_id, per_page=20)
        page = first.data
        body = page.dict() if hasattr(page, "dict") else dict(page)
        events = list(body.get("events") or [])
        next_url = (body.get("pages") or {}).get("next")
        http = client._client_wrapper.httpx_client.httpx_client
        headers = client._client_wrapper.get_headers()
        while next_url:
            if not next_url.startswith(base_url):
                failures.append(f"pages.next not on the simulator's host: {next_url}")
                break
            resp = http.get(next_url, headers=headers).raise_for_status().json()
            events += resp["events"]
            next_url = (resp.get("pages") or {}).get("next")
        expect(f"events of contact {contact_id}", len(events), counts["listable"])
        summary_resp = client.events.list(type="user", intercom_user_id=contact_id, summary=True)
        total = sum(item.count for item in summary_resp.events if item is not None)
        expect(f"event summary count of contact {contact_id}", total, counts["total"])

    if failures:
        print(f"sdk check FAILED: {', '.join(failures)}")
        sys.exit(1)
    print("sdk check passed")


if __name__ == "__main__":
    main()
