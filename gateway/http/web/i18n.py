"""The catalogue pages in Chinese and English: which language a request gets, and the page's
texts in it (the tables are in ``gateway.http.web.texts``).

Chinese is the default; ``?lang=en`` (or ``zh``) chooses explicitly, otherwise the browser's
``Accept-Language`` decides. An explicit choice is carried in every link and form of the page, so
it persists while a person browses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from werkzeug.datastructures import LanguageAccept

from adapters.nodes import NodeConfig
from catalog import DEFAULT_LANGUAGE, LANGUAGES, I18n, Region
from gateway.http.web.texts import (
    FIELD_TYPES,
    FREQUENCIES,
    LEVEL_TEXTS,
    LEVELS,
    MESSAGES,
    NODE_LEVELS,
    SENSITIVITIES,
    SHARE_TYPE_LABELS,
    SHARE_TYPE_TEXTS,
    THEMES,
    TREATMENTS,
)

K = TypeVar("K")

#: The value of the html ``lang`` attribute (BCP 47) for each language.
HTML_LANG = {"zh": "zh-CN", "en": "en"}


@dataclass(frozen=True, slots=True)
class Language:
    """The language of one page, and whether the person chose it (then links carry it)."""

    code: str
    explicit: bool

    @property
    def other(self) -> str:
        return "en" if self.code == "zh" else "zh"


def negotiate(chosen: str | None, accept: LanguageAccept) -> Language:
    """``lang`` from the URL when it names a language, else the best of Accept-Language."""
    if chosen in LANGUAGES:
        return Language(chosen, explicit=True)
    best = accept.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)
    return Language(best or DEFAULT_LANGUAGE, explicit=False)


class Translator:
    """The texts of one page in its language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, key: str, /, **values: object) -> str:
        """The text for ``key``, with ``{name}`` placeholders filled in."""
        text = MESSAGES[key].text(self.language)
        return text.format(**values) if values else text

    def text(self, value: I18n) -> str:
        """A text (of the catalogue, a tier's label) in this language."""
        return value.text(self.language)

    def label(self, table: Mapping[K, I18n], value: K) -> str:
        """The label of a vocabulary value; the value itself when the vocabulary lacks it."""
        label = table.get(value)
        return self.text(label) if label else str(value)

    def count(self, key: str, count: int, /, **values: object) -> str:
        """A text with a count, using the ``.one`` variant for exactly one when there is one."""
        if count == 1 and f"{key}.one" in MESSAGES:
            return self(f"{key}.one", **values)
        return self(key, count=count, total=count, **values)

    def theme(self, value: str) -> str:
        return self.label(THEMES, value)

    def share_type(self, value: str) -> str:
        return self.label(SHARE_TYPE_LABELS, value)

    def share_text(self, value: str) -> str:
        return self.label(SHARE_TYPE_TEXTS, value)

    def level(self, value: int) -> str:
        return self.label(LEVELS, value)

    def level_text(self, value: int) -> str:
        return self.label(LEVEL_TEXTS, value)

    def frequency(self, value: str) -> str:
        return self.label(FREQUENCIES, value)

    def sensitivity(self, value: str) -> str:
        return self.label(SENSITIVITIES, value)

    def field_type(self, value: str | tuple[str, ...]) -> str:
        names = (value,) if isinstance(value, str) else value
        return " / ".join(self.label(FIELD_TYPES, name) for name in names if name != "null")

    def treatment(self, value: str) -> str:
        return self.label(TREATMENTS, value)

    def node_level(self, value: str) -> str:
        return self.label(NODE_LEVELS, value)

    def region(self, region: Region) -> str:
        return self.text(region.name)

    def node_name(self, node: NodeConfig) -> str:
        return self.text(I18n(node.name_zh, node.name_en))
