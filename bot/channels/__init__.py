"""Ways people reach PeerScope: the terminal chat and the Telegram bridge."""
