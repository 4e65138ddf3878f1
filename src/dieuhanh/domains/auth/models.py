"""Auth ORM models (to be written)."""
