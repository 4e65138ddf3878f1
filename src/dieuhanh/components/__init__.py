"""Component packs (hợp phần): built-in folders with a ``pack.yaml`` each, plus installed
plug-ins; see :mod:`dieuhanh.components.registry`."""
