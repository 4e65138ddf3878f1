"""Dashboards: declarative dashboards, their data, the live feed, the video wall."""
