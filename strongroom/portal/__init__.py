"""The client portal: link sessions, the privacy notice, the checklist, uploads and answers."""
