"""Units ORM models (to be written)."""
