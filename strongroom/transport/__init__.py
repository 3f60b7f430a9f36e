"""How Strongroom is reached: TLS for the embedded server, the plain-HTTP redirect, browser headers."""
