"""Privacy: the data map, and (later) the data subject rights and records built on it."""
