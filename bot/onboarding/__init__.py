"""Onboarding for new family peer supporters: lessons and a scenario quiz from
knowledge/onboarding, a pure state machine (flow), and the chat-facing API (service)."""
