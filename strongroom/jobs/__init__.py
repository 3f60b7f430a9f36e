"""Background work: the worker command, and the periodic jobs it runs (reminders, clean-ups)."""
