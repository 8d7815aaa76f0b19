"""The catalogue pages for people: search with facets, datasets, regions, in Chinese and English."""

from __future__ import annotations

from gateway.http.web.errors import error_page, is_page_path
from gateway.http.web.views import bp

__all__ = ["bp", "error_page", "is_page_path"]
