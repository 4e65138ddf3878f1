"""Indicators: catalog, observations, targets, roll-up across units, time and the 2025 reform."""
