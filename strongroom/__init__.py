"""Strongroom: a self-hostable, GDPR-native secure client portal."""
