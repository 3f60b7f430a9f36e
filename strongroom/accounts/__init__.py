"""Staff users, workspaces, memberships and roles."""
