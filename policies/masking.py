"""Masking personal data (docs/access-and-tiers.md rule 6, docs/reference.md): a function compiled
per field, run per record.

A masked value keeps exactly what its method allows and nothing else; what a method cannot read
safely (an unexpected type, a malformed value) is withheld rather than passed on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from policies.plans import FieldPlan

if TYPE_CHECKING:
    from catalog import Dataset

#: The personal-data sensitivities a catalogue field may carry (``x-sensitivity``,
#: docs/architecture.md#domain-model).
SENSITIVITIES: tuple[str, ...] = (
    "person-name",
    "resident-id",
    "phone",
    "address",
    "birth-date",
    "bank-account",
    "free-text",
)
#: The masking methods a profile may name.
METHODS: tuple[str, ...] = ("partial", "hmac", "generalise", "redact", "drop")
#: Only these can be generalised: an address to its district, a birth date to its year.
GENERALISABLE: frozenset[str] = frozenset({"address", "birth-date"})
#: Shortest key accepted for pseudonyms and for deriving them.
MIN_KEY_BYTES = 16

ValueMasker = Callable[[Any], Any]
RecordMasker = Callable[[Mapping[str, Any]], dict[str, Any]]

_PSEUDONYM_LABEL = b"jjj-gateway/pseudonym/v1\x00"


def method_problem(method: str, sensitivity: str) -> str | None:
    """Why ``method`` cannot mask values of ``sensitivity`` (None: it can)."""
    if method not in METHODS:
        return f"unknown masking method {method!r} (known: {', '.join(METHODS)})"
    if sensitivity not in SENSITIVITIES:
        return f"unknown sensitivity {sensitivity!r} (known: {', '.join(SENSITIVITIES)})"
    if method == "generalise" and sensitivity not in GENERALISABLE:
        return (
            f"{sensitivity} cannot be generalised: only address (to the district) and birth-date "
            "(to the year) can"
        )
    return None


def derive_pseudonym_key(server_secret: bytes, client_id: str) -> bytes:
    """The client's pseudonym key: stable for one client, unrelated between clients."""
    if len(server_secret) < MIN_KEY_BYTES:
        raise ValueError(f"the server secret must be at least {MIN_KEY_BYTES} bytes")
    message = _PSEUDONYM_LABEL + client_id.encode("utf-8")
    return hmac.new(server_secret, message, hashlib.sha256).digest()


# --- partial masks (docs/reference.md)
# -------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = re.compile(r"[\s\-()]")
_COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "夏侯",
        "令狐",
        "长孙",
        "宇文",
        "司徒",
    }
)
_BIRTH_YEAR = re.compile(r"((?:19|20)[0-9]{2})-?(?:0[1-9]|1[0-2])-?(?:0[1-9]|[12][0-9]|3[01])")

# An address begins with its administrative divisions: an optional province, an optional city, then
# the district or county. Names are short, so each part is bounded; what follows is withheld.
_CJK = r"[\u3400-\u4dbf\u4e00-\u9fff]"
_PROVINCE = rf"(?:{_CJK}{{1,6}}?(?:省|自治区|特别行政区))"
_CITY = rf"(?:{_CJK}{{1,7}}?(?:市|自治州|地区|盟))"
_DISTRICT = rf"(?:{_CJK}{{1,6}}?自治[县旗]|{_CJK}{{1,4}}?[区县旗])"
_ADDRESS_DISTRICT = re.compile(rf"{_PROVINCE}?{_CITY}?(?P<district>{_DISTRICT})")
_ADDRESS_CITY = re.compile(rf"{_PROVINCE}?{_CITY}|{_PROVINCE}")
# A district name never holds these: a match containing one is a street, village or estate.
_NOT_IN_DISTRICT = re.compile(
    r"[路街道巷弄号楼栋室村镇乡里]"  # streets, numbers, buildings, villages, towns
    r"|[小社园校厂景营一二三四五六七八九十]区$"  # estates, campuses, parks, numbered zones
)


def _text(value: Any) -> str | None:
    """The value as text for the partial masks; None for what they cannot read."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _stars(text: str) -> str:
    return "*" * len(text)


def partial_phone(text: str) -> str:
    """Mobile ``138****1234``; any other number keeps its last 4 digits."""
    # docs/reference.md, masking conventions: a mobile number as 138****1234.
    number = _SEPARATORS.sub("", text)
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
    if _MOBILE.fullmatch(number):
        return f"{number[:3]}****{number[7:]}"
    if len(number) >= 8 and number.isascii() and number.isdigit():
        return _stars(number[:-4]) + number[-4:]
    return _stars(number)


def partial_resident_id(text: str) -> str:
    """First 6 and last 4 characters (``110105********002X``); all hidden if not an ID."""
    # docs/reference.md, masking conventions: a resident ID keeps its first 6 and last 4.
    body = text.upper()
    digits = body[:17]
    if len(body) == 18 and digits.isascii() and digits.isdigit() and body[17] in "0123456789X":
        return f"{body[:6]}********{body[14:]}"
    if len(body) == 15 and body.isascii() and body.isdigit():
        # A first-generation ID ends YYMMDD + sequence: its last 4 would show a digit of the
        # birth date, so only the sequence is kept.
        return f"{body[:6]}******{body[12:]}"
    return _stars(body)


def partial_bank_account(text: str) -> str:
    """First 6 and last 4 digits, one ``*`` per hidden digit; all hidden if not a card number."""
    # docs/reference.md, masking conventions: a bank card keeps its first 6 and last 4.
    number = _SEPARATORS.sub("", text)
    if 12 <= len(number) <= 19 and number.isascii() and number.isdigit():
        return number[:6] + _stars(number[6:-4]) + number[-4:]
    return _stars(number)


def partial_person_name(text: str) -> str:
    """The surname kept, one ``*`` per hidden character (``张*``, ``欧阳**``)."""
    # docs/reference.md, masking conventions: a name as 张*.
    if len(text) <= 1:
        return _stars(text)
    keep = 2 if len(text) > 2 and text[:2] in _COMPOUND_SURNAMES else 1
    return text[:keep] + _stars(text[keep:])


def district_of_address(text: str) -> str | None:
    """The address cut after its district (``北京市海淀区``); a coarser prefix or None if none."""
    # docs/reference.md, masking conventions: an address generalised to its district.
    match = _ADDRESS_DISTRICT.match(text)
    if match and not _NOT_IN_DISTRICT.search(match.group("district")):
        return match.group(0)
    coarse = _ADDRESS_CITY.match(text)
    return coarse.group(0) if coarse else None


def year_of_birth(text: str) -> str | None:
    """The year of a birth date (``1985``); None when the value is not a date."""
    match = _BIRTH_YEAR.match(text)
    return match.group(1) if match else None


_PARTIAL: dict[str, Callable[[str], str | None]] = {
    "person-name": partial_person_name,
    "resident-id": partial_resident_id,
    "phone": partial_phone,
    "address": district_of_address,
    "birth-date": year_of_birth,
    "bank-account": partial_bank_account,
}


def _text_masker(mask: Callable[[str], str | None]) -> ValueMasker:
    def masked(value: Any) -> Any:
        text = _text(value)
        return None if text is None else mask(text)

    return masked


def _pseudonym_masker(pseudonym_key: bytes) -> ValueMasker:
    # docs/access-and-tiers.md: an hmac pseudonym is keyed per client; the keyed state is built once
    # per masker.
    if len(pseudonym_key) < MIN_KEY_BYTES:
        raise ValueError(f"the pseudonym key must be at least {MIN_KEY_BYTES} bytes")
    keyed = hmac.new(pseudonym_key, digestmod=hashlib.sha256)

    def pseudonym(value: Any) -> Any:
        if isinstance(value, str):
            data = value.encode("utf-8")
        else:
            data = json.dumps(
                value, ensure_ascii=False, sort_keys=True, separators=(",", ":")
            ).encode("utf-8")
        # Copying the keyed state beats a one-shot hmac.digest, which pads the key every time.
        digest = keyed.copy()
        digest.update(data)
        return "p:" + digest.hexdigest()[:16]

    return pseudonym


def _element_wise(mask: ValueMasker) -> ValueMasker:
    """Null stays null; a list (e.g. inventors) is masked element by element."""

    def masked(value: Any) -> Any:
        if type(value) is str:  # nearly every value: no further checks
            return mask(value)
        if value is None:
            return None
        if isinstance(value, list | tuple):
            return [masked(item) for item in value]
        return mask(value)

    return masked


def _redacted(value: Any) -> None:
    return None


def value_masker(method: str, sensitivity: str | None, *, pseudonym_key: bytes) -> ValueMasker:
    """The function masking one field's values; ``drop`` gives one that withholds everything."""
    if method not in METHODS:
        raise ValueError(f"unknown masking method {method!r} (known: {', '.join(METHODS)})")
    if method in ("redact", "drop"):
        return _redacted
    if method == "hmac":
        return _element_wise(_pseudonym_masker(pseudonym_key))
    if sensitivity is None:
        raise ValueError(f"masking method {method!r} needs the field's sensitivity")
    problem = method_problem(method, sensitivity)
    if problem is not None:
        raise ValueError(problem)
    if sensitivity == "free-text":
        # Free text can hold anything: there is no part of it that is safe to keep.
        return _redacted
    return _element_wise(_text_masker(_PARTIAL[sensitivity]))


def mask_value(value: Any, method: str, sensitivity: str | None, *, pseudonym_key: bytes) -> Any:
    """One value masked by ``method`` (``drop`` and ``redact`` give None)."""
    return value_masker(method, sensitivity, pseudonym_key=pseudonym_key)(value)


def _compile(
    plan: FieldPlan, sensitivities: Mapping[str, str], pseudonym_key: bytes
) -> RecordMasker:
    steps: list[tuple[str, ValueMasker | None]] = []
    for name in plan.fetch:
        method = plan.masked.get(name)
        if method is None:
            steps.append((name, None))
        elif method != "drop":
            steps.append(
                (name, value_masker(method, sensitivities.get(name), pseudonym_key=pseudonym_key))
            )
    fixed = tuple(steps)

    def mask(record: Mapping[str, Any]) -> dict[str, Any]:
        # Only the plan's fields are copied: anything else a node sent never leaves.
        out: dict[str, Any] = {}
        for name, masker in fixed:
            if name in record:
                value = record[name]
                out[name] = value if masker is None else masker(value)
        return out

    return mask


def compile_masker(plan: FieldPlan, dataset: Dataset, *, pseudonym_key: bytes) -> RecordMasker:
    """The record masker for a plan on a dataset, built once and run on every record."""
    sensitivities = {
        name: info.sensitivity for name, info in dataset.fields.items() if info.sensitivity
    }
    return _compile(plan, sensitivities, pseudonym_key)


def mask_record(
    record: Mapping[str, Any],
    plan: FieldPlan,
    sensitivities: Mapping[str, str],
    *,
    pseudonym_key: bytes,
) -> dict[str, Any]:
    """One record masked and projected by a plan (for many records, use ``compile_masker``)."""
    return _compile(plan, sensitivities, pseudonym_key)(record)
