"""Time from starting the action server and the Rasa server to both answering."""

import tempfile
import time
from pathlib import Path

from bot.channels.servers import ServerSet, free_port

with tempfile.TemporaryDirectory() as tmp:
    env = {
        "PEERSCOPE_DATABASE_URL": f"sqlite:///{tmp}/p.db",
        "PEERSCOPE_TRACKER_URL": f"sqlite:///{tmp}/t.db",
        "PEERSCOPE_VAR_DIR": tmp,
    }
    servers = ServerSet(rasa_port=free_port(), action_port=free_port(), env=env, log_dir=Path(tmp))
    started = time.monotonic()
    servers.start()
    try:
        servers.wait_ready(progress=lambda m: print(f"{time.monotonic() - started:5.1f} s  {m}"))
    finally:
        servers.stop()
