"""Supervisors' review of submitted notes (bot/review/service.py)."""
