"""Test configuration: fixtures live in ``tests/fixtures`` (one module per concern)."""

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.db",
    "tests.fixtures.app",
    "tests.fixtures.units",
    "tests.fixtures.auth",
    "tests.fixtures.indicators",
    "tests.fixtures.browser",
    "tests.fixtures.tiles",
]
