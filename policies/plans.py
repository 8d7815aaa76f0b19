"""Field plans (docs/access-and-tiers.md rule 6): which fields a caller gets in clear, masked or not
at all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

#: Filter operators that only match values the caller already holds in full.
EXACT_OPERATORS = frozenset({"eq", "in"})


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """The fields of one decision, each in exactly one of clear, masked or dropped.

    ``order`` is every field of the plan in schema order (default: clear, masked, dropped); it
    orders ``fetch``.
    """

    clear: tuple[str, ...]
    #: field → masking method (``partial``, ``hmac``, ``generalise``, ``redact``)
    masked: Mapping[str, str]
    dropped: tuple[str, ...]
    order: tuple[str, ...] = field(default=(), repr=False, compare=False)
    _fetch: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        clear, dropped = tuple(self.clear), tuple(self.dropped)
        masked = MappingProxyType(dict(self.masked))
        names = [*clear, *masked, *dropped]
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"fields in more than one part of the plan: {', '.join(twice)}")
        order = tuple(self.order) or tuple(names)
        if set(order) != set(names) or len(order) != len(names):
            raise ValueError("order must list every field of the plan once")
        object.__setattr__(self, "clear", clear)
        object.__setattr__(self, "dropped", dropped)
        object.__setattr__(self, "masked", masked)
        object.__setattr__(self, "order", order)
        fetched = set(clear).union(masked)
        object.__setattr__(self, "_fetch", tuple(n for n in order if n in fetched))

    @property
    def fetch(self) -> tuple[str, ...]:
        """The fields to ask the nodes for: clear and masked, in schema order."""
        return self._fetch

    def as_meta(self) -> dict[str, Any]:
        """The ``meta.fields`` member of a response and of the audit record."""
        return {
            "clear": list(self.clear),
            "masked": dict(self.masked),
            "dropped": list(self.dropped),
        }

    def project(self, requested: Sequence[str] | None) -> FieldPlan:
        """The plan narrowed to the fields the caller asked for (None: all of them).

        Raises ValueError naming requested fields the dataset does not have.
        """
        if requested is None:
            return self
        wanted = set(requested)
        unknown = [name for name in dict.fromkeys(requested) if name not in self.order]
        if unknown:
            raise ValueError(f"unknown field(s): {', '.join(unknown)}")
        return FieldPlan(
            clear=tuple(n for n in self.clear if n in wanted),
            masked={n: m for n, m in self.masked.items() if n in wanted},
            dropped=tuple(n for n in self.dropped if n in wanted),
            order=tuple(n for n in self.order if n in wanted),
        )

    def unsafe_filters(self, filter: Mapping[str, Any]) -> tuple[str, ...]:
        """Filtered fields that would reveal what the plan hides, in filter order.

        A filter on a dropped field, or a range or prefix on a masked one, lets a caller learn the
        hidden value by asking; exact matches (``eq``, ``in``) on a masked field only confirm a
        value the caller already holds. ``filter`` is ``{field: value}`` or
        ``{field: {op: value}}``; call this on the decision's plan, before ``project``.
        """
        unsafe: list[str] = []
        for name, condition in filter.items():
            ranged = isinstance(condition, Mapping) and not set(condition) <= EXACT_OPERATORS
            if name in self.dropped or (name in self.masked and ranged):
                unsafe.append(name)
        return tuple(unsafe)
