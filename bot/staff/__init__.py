"""Who is talking: the staff member behind a chat sender id (bot/staff/service.py)."""
