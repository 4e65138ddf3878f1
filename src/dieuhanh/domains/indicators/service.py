"""The indicators domain's public service: what routes, components and other domains call.

Implementation is split by use case (``catalog``, ``ingest``, ``query``, ``exports``…) and
gathered here, so callers import one module and never the models.
"""

from __future__ import annotations
