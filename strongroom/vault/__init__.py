"""The vault: sealed files (blobs) in a store that never sees plaintext, names or types."""
