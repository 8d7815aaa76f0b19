"""The demo: deterministic synthetic data for every demo node."""

from __future__ import annotations

from gateway.demo.generate import GenerationReport, generate

__all__ = ["GenerationReport", "generate"]
