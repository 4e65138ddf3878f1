"""units domain."""
