"""Drives tap-intercom 2.2.5 (unmodified, installed by install.sh) for `icsync bench sync --peers`.

usage: tap_bench.py TAP_PYTHON BASE_URL TOKEN WORKDIR

Discovery, then a catalog selecting contacts, companies, conversations and conversation_parts
(every field), then a full sync from 2000-01-01 with a fresh state. The tap's base URL is
redirected at run time by the simulator fidelity check's tap_run.py (no file of the tap is
changed). The tap's records are counted per stream as they stream past (the tap writes nothing
anywhere: a Singer target would); prints one JSON object:
{"tool": "tap-intercom", "exit": 0, "records": {"contacts": N, ...}}.
"""
import json
import os
import subprocess
import sys

STREAMS = ("contacts", "companies", "conversations", "conversation_parts")
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
WRAPPER = os.path.join(ROOT, "crates", "icsync-intercom-sim", "fidelity", "tap_run.py")


def main():
    tap_python, base_url, token, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    config = os.path.join(work, "tap-config.json")
    with open(config, "w", encoding="utf-8") as f:
        json.dump({"access_token": token, "start_date": "2000-01-01T00:00:00Z",
                   "user_agent": "icsync-bench", "request_timeout": 300}, f)
    tap = [tap_python, WRAPPER, base_url, "--config", config]
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

    # singer-python writes `{"type": "RECORD", "stream": "<name>", ...}`, keys in that order:
    # matching the line's head keeps the counting cheap next to the tap it measures.
    heads = {f'{{"type": "RECORD", "stream": "{s}"': s for s in STREAMS}
    counts = dict.fromkeys(STREAMS, 0)
    log_path = os.path.join(work, "tap.log")
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(tap + ["--catalog", catalog_path], stdout=subprocess.PIPE,
                                stderr=log, text=True, bufsize=1 << 20)
        for line in proc.stdout:
            if line.startswith('{"type": "RECORD"'):
                for head, stream in heads.items():
                    if line.startswith(head):
                        counts[stream] += 1
                        break
        code = proc.wait()
    if code != 0:
        with open(log_path, encoding="utf-8") as log:
            sys.stderr.write("".join(log.readlines()[-20:]))
    print(json.dumps({"tool": "tap-intercom", "exit": code, "records": counts, "log": log_path}))
    sys.exit(code)


if __name__ == "__main__":
    main()
