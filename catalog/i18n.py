"""Texts in Chinese and English, one type for all of them: catalogue entries, the catalogue
pages and their reference, the reasons of an access decision (docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass

#: The languages every text is in; Chinese is the default.
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "I18n"]


@dataclass(frozen=True, slots=True)
class I18n:
    """A text in Chinese and English."""

    zh: str
    en: str

    def text(self, language: str) -> str:
        """The English text for ``en…`` languages, the Chinese one otherwise."""
        return self.en if language.lower().startswith("en") else self.zh

    def format(self, **params: object) -> I18n:
        """Both texts as ``str.format`` templates with their ``{name}`` placeholders filled in;
        a parameter that is itself an ``I18n`` gives each language its own text."""
        return I18n(
            self.zh.format(**{k: v.zh if isinstance(v, I18n) else v for k, v in params.items()}),
            self.en.format(**{k: v.en if isinstance(v, I18n) else v for k, v in params.items()}),
        )

    def as_json(self) -> dict[str, str]:
        """The text as the API writes it, ``{"zh": …, "en": …}``."""
        return {"zh": self.zh, "en": self.en}
