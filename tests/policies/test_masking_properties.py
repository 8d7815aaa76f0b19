"""Properties of masking: a masked value never contains what its method hides, and pseudonyms
are stable for one client and unlinkable across clients."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.masking import derive_pseudonym_key, mask_value

KEY_A = derive_pseudonym_key(b"server-secret-0123456789", "client-a")
KEY_B = derive_pseudonym_key(b"server-secret-0123456789", "client-b")

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
digits17 = st.text(string.digits, min_size=17, max_size=17)
names = st.text(alphabet="张王李赵欧阳司马诸葛伟芳娜敏静丽强磊洋艳勇军杰", min_size=2, max_size=4)


@settings(max_examples=200)
@given(mobiles)
def test_a_partial_mobile_keeps_only_its_first_three_and_last_four(value: str) -> None:
    masked = mask_value(value, "partial", "phone", pseudonym_key=KEY_A)
    assert masked == value[:3] + "****" + value[-4:]
    assert value[3:7] not in str(masked)[3:-4]


@settings(max_examples=200)
@given(digits17, st.sampled_from("0123456789X"))
def test_a_partial_resident_id_hides_the_birth_date(body: str, check: str) -> None:
    value = body + check
    masked = str(mask_value(value, "partial", "resident-id", pseudonym_key=KEY_A))
    assert masked.startswith(value[:6]) and masked.endswith(value[-4:])
    assert value[6:14] not in masked


@settings(max_examples=200)
@given(st.one_of(mobiles, names, digits17))
def test_pseudonyms_are_stable_per_client_and_differ_across_clients(value: str) -> None:
    first = mask_value(value, "hmac", "phone", pseudonym_key=KEY_A)
    assert first == mask_value(value, "hmac", "phone", pseudonym_key=KEY_A)
    assert first != mask_value(value, "hmac", "phone", pseudonym_key=KEY_B)
    assert value not in str(first)


@settings(max_examples=200)
@given(names)
def test_a_partial_name_shows_the_surname_and_hides_the_rest(value: str) -> None:
    masked = str(mask_value(value, "partial", "person-name", pseudonym_key=KEY_A))
    assert len(masked) == len(value)
    assert masked != value and "*" in masked
    assert masked.rstrip("*") == value[: len(masked.rstrip("*"))]


@settings(max_examples=100)
@given(st.text(min_size=1, max_size=40))
def test_redaction_leaves_nothing(value: str) -> None:
    assert mask_value(value, "redact", "free-text", pseudonym_key=KEY_A) is None
