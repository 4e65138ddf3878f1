"""Adapters to the world outside the database: headless Chromium, e-mail (later SMS,
webhooks, MQTT, AIS). They import only ``core``; ``web/app.py`` and the CLI wire them."""
