"""PeerScope application core. Importable without Rasa (house rule)."""

__version__ = "0.1.0"
