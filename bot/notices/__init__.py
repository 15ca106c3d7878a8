"""Reminders and notices for staff: which are due, and how each is worded (service.py);
`peerscope reminders run` (commands.py). The outbox rows are the store's
(bot/store/notifications.py, bot/store/reminders.py); the Telegram bridge sends them."""
