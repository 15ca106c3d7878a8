"""Risk of harm in chat: alerts for supervisors and the crisis replies (bot/safety/service.py)."""
