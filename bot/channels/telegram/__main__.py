"""``python -m bot.channels.telegram``: run the bridge (see cli.py)."""

import sys

from bot.channels.telegram.cli import main

if __name__ == "__main__":  # not when a test imports every module
    sys.exit(main())
