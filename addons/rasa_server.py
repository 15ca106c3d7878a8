"""``rasa run`` with its HTTP API token taken from the environment, not the command line.

A process's command line can be read by every local user (``ps``); its environment only
by its owner. bot.channels.servers starts Rasa as ``python -m addons.rasa_server run ...``
with ``PEERSCOPE_RASA_TOKEN`` set; this adds ``--auth-token`` inside the process.

It also installs PeerScope's speed-ups to Rasa before Rasa starts: action server replies
checked with a validator built once (addons.action_replies), event classes found from a
table (addons.event_types).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    token = os.environ.pop("PEERSCOPE_RASA_TOKEN", "")
    if not token:
        raise SystemExit("peerscope: PEERSCOPE_RASA_TOKEN must be set to start Rasa with its HTTP API")
    os.umask(0o077)
    sys.argv = ["rasa", *sys.argv[1:], "--enable-api", "--auth-token", token]
    from addons import action_replies, event_types

    action_replies.install()
    event_types.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
