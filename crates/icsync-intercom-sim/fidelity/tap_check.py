"""Fidelity check 4: tap-intercom 2.2.5 (Singer tap, unmodified, from PyPI) syncs every contact,
company and conversation of the simulator with its own headers (Intercom-Version 2.12), and
the records it emits must equal /_sim/summary.

usage: tap_check.py TAP_PYTHON BASE_URL TOKEN WORKDIR
Runs the tap through tap_run.py (which only redirects its base URL): discovery, a catalog
selecting the contacts, companies and conversations streams with all their fields, then a
full sync from 2000-01-01. Exits 1 on a failed run or a count mismatch.
"""
import collections
import json
import os
import subprocess
import sys
import urllib.request

STREAMS = ("contacts", "companies", "conversations")


def control(base_url, path):
    with urllib.request.urlopen(f"{base_url}{path}", timeout=60) as r:
        return json.load(r)


def main():
    tap_python, base_url, token, work = sys.argv[1:5]
    wrapper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tap_run.py")
    config = os.path.join(work, "tap-config.json")
    with open(config, "w", encoding="utf-8") as f:
        json.dump({"access_token": token, "start_date": "2000-01-01T00:00:00Z",
                   "user_agent": "icsync-fidelity-check", "request_timeout": 60}, f)
    tap = [tap_python, wrapper, base_url, "--config", config]
    catalog = json.loads(subprocess.run(tap + ["--discover"], check=True, capture_output=True,
                                        text=True).stdout)
    for stream in catalog["streams"]:
        selected = stream["tap_stream_id"] in STREAMS
        for entry in stream["metadata"]:
            if not entry["breadcrumb"] or entry["metadata"].get("inclusion") != "unsupported":
                entry["metadata"]["selected"] = selected
    catalog_path = os.path.join(work, "tap-catalog.json")
    with open(catalog_path, "w", encoding="utf-8") as f:
        json.dump(catalog, f)

    summary = control(base_url, "/_sim/summary")
    since = control(base_url, "/_sim/journal?since=0&limit=1")["total"]
    log_path = os.path.join(work, "tap.log")
    with open(log_path, "w", encoding="utf-8") as log:
        run = subprocess.run(tap + ["--catalog", catalog_path], stdout=subprocess.PIPE,
                             stderr=log, text=True)
    counts, ids = collections.Counter(), collections.defaultdict(set)
    for line in run.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("type") == "RECORD":
            counts[msg["stream"]] += 1
            ids[msg["stream"]].add(msg["record"].get("id"))
    failures = []
    if run.returncode != 0:
        with open(log_path, encoding="utf-8") as log:
            print("".join(log.readlines()[-30:]))
        failures.append(f"tap-intercom exited {run.returncode} (log: {log_path})")
    for stream in STREAMS:
        want = summary[stream]
        for what, got in ((f"{stream} records", counts[stream]),
                          (f"distinct {stream} ids", len(ids[stream]))):
            ok = got == want
            print(f"tap-intercom: {what}: tap={got} summary={want} {'ok' if ok else 'MISMATCH'}")
            if not ok:
                failures.append(what)
    entries = control(base_url, f"/_sim/journal?since={since}&limit=100000")["entries"]
    versions = sorted({str(e["intercom_version"]) for e in entries})
    statuses = collections.Counter(e["status"] for e in entries)
    print(f"tap-intercom: {len(entries)} requests, Intercom-Version sent: {', '.join(versions)}, "
          f"statuses: {dict(statuses)}")
    # The only non-200 the tap should meet is the 404 of the expired scroll after its end.
    if any(e["status"] not in (200, 404) for e in entries) or statuses[404] > 1:
        failures.append("unexpected statuses")
    if failures:
        print(f"tap-intercom check FAILED: {', '.join(failures)}")
        sys.exit(1)
    print("tap-intercom check passed")


if __name__ == "__main__":
    main()
