"""Ingest: readers per source format, outcome linking, and the corpus stage.

from forge.ingest import readers, register, Reader        # the reader registry
from forge.ingest.stage import IngestConfig, run_ingest  # the corpus stage
"""

from forge.ingest.readers import Reader, detect_reader, get_reader, readers, register

__all__ = ["Reader", "detect_reader", "get_reader", "readers", "register"]
