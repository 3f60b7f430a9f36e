"""Collection: clients, templates, requests and their items, answers, uploads, review, reminders, messages."""
