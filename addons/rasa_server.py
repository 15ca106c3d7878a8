"""``rasa run`` with its HTTP API token taken from the environment, not the command line.

A process's command line can be read by every local user (``ps``); its environment only
by its owner. bot.channels.servers starts Rasa as ``python -m addons.rasa_server run ...``
with ``PEERSCOPE_RASA_TOKEN`` set; this adds ``--auth-token`` inside the process.

It also installs PeerScope's speed-ups to Rasa before Rasa starts: action server replies
checked with a validator built once (addons.action_replies), action calls over kept-alive
connections (addons.action_http), event classes found from a table (addons.event_types),
and the loaded model kept out of the garbage collector's way (``_freeze_after_loading``).
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
    from addons import action_http, action_replies, event_types

    action_http.install()
    action_replies.install()
    event_types.install()
    _freeze_after_loading()
    from rasa.__main__ import main as rasa_main

    rasa_main()


def _freeze_after_loading() -> None:
    """Once the model is loaded, move everything alive into the garbage collector's permanent
    generation (``gc.freeze``). A full collection otherwise walks every object of the loaded
    model (TensorFlow, spaCy, the classifiers): 200-600 ms here, during which no conversation
    moves; after the freeze it took 5-20 ms. Frozen objects are never collected, which is
    right for a model kept for the life of the process (PeerScope loads a new model by
    restarting Rasa, not through its model API)."""
    import gc

    import rasa.core.run

    load = rasa.core.run.load_agent_on_start

    async def load_then_freeze(*args, **kwargs):
        agent = await load(*args, **kwargs)
        gc.collect()
        gc.freeze()
        return agent

    rasa.core.run.load_agent_on_start = load_then_freeze


if __name__ == "__main__":
    main()
