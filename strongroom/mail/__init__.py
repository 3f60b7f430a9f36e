"""E-mail: messages rendered in the recipient's language, sent through Django's mailers."""
