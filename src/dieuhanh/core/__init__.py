"""Shared kernel: nothing here may import from the rest of ``dieuhanh``."""
