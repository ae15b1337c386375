"""Runs tap-intercom unmodified against another base URL (its client fixes api.intercom.io).

usage: tap_run.py BASE_URL <tap-intercom arguments...>
The tap's IntercomClient sets `self.base_url` in its constructor; this wrapper wraps that
constructor at run time to point the instance at BASE_URL, then calls the tap's own main().
No file of the tap is changed.
"""
import sys

import tap_intercom
from tap_intercom import client


def main():
    base_url = sys.argv[1].rstrip("/")
    original_init = client.IntercomClient.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.base_url = base_url

    client.IntercomClient.__init__ = init
    sys.argv = [sys.argv[0]] + sys.argv[2:]
    tap_intercom.main()


if __name__ == "__main__":
    main()
