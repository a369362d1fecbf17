"""Survivor Voices podcast pipeline: loudness, tags, transcripts, storage and feed."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
