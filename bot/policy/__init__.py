"""Policy answers in chat: what the answer actions store around an answer (bot/policy/service.py)."""
