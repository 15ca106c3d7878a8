"""Extensions loaded inside the Rasa server process (not the action server)."""
