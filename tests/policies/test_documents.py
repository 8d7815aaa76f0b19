"""The policy documents: the shipped ones load; every broken one is reported by file and path."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from policies import (
    SENSITIVITIES,
    Policies,
    PolicyError,
    PolicyIssue,
    TrustedIssuer,
    default_directory,
    load_policies,
)
from policies.documents import DOCUMENTS

DESIGN_PURPOSES = {
    "credit-check",
    "talent-mobility",
    "social-insurance-transfer",
    "regulatory-supervision",
    "statistics",
    "public-service",
}

PUBLIC_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "kid": "tj-2026",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    """A copy of the shipped policy documents that a test may break."""
    for name in DOCUMENTS:
        shutil.copy(default_directory() / f"{name}.yaml", tmp_path / f"{name}.yaml")
    return tmp_path


def edit(directory: Path, name: str, change: Any) -> None:
    path = directory / f"{name}.yaml"
    document = yaml.safe_load(path.read_text("utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")


def issues_of(directory: Path) -> list[PolicyIssue]:
    with pytest.raises(PolicyError) as raised:
        load_policies(directory)
    return raised.value.issues


def trusted_issuer(**overrides: Any) -> dict[str, Any]:
    issuer: dict[str, Any] = {
        "issuer": "https://auth.tj.example.gov.cn",
        "jwks": {"keys": [PUBLIC_JWK]},
        "audience": "http://127.0.0.1:8080/v1",
        "organisationClaim": "org_name",
        "regionClaim": "region_code",
        "defaultRegion": "120000",
        "tierClaim": "org_class",
        "tierMap": {"gov": "government", "ent": "partner"},
        "defaultTier": "open",
        "scopes": ["data:read", "catalog:read"],
    }
    issuer.update(overrides)
    return {k: v for k, v in issuer.items() if v is not None}


def test_every_policy_schema_is_a_valid_2020_12_schema() -> None:
    for name in DOCUMENTS:
        text = (resources.files("policies") / "schema" / f"{name}.schema.json").read_text("utf-8")
        jsonschema.Draft202012Validator.check_schema(json.loads(text))


def test_shipped_policies_load(policies: Policies) -> None:
    assert list(policies.tiers) == ["open", "partner", "government", "regulator"]
    partner = policies.tiers["partner"]
    assert (partner.max_level, partner.masking_profile) == (2, "partner")
    assert (partner.requests_per_minute, partner.records_per_day, partner.max_page_size) == (
        300,
        50000,
        200,
    )
    assert partner.label.zh and partner.label.en
    assert [policies.tiers[t].max_level for t in policies.tiers] == [1, 2, 3, 4]
    assert policies.trusted_issuers == {}


def test_purpose_vocabulary_holds_the_design_purposes_with_both_languages(
    policies: Policies,
) -> None:
    assert set(policies.purposes) >= DESIGN_PURPOSES
    assert 7 <= len(policies.purposes) <= 9
    for purpose_id, purpose in policies.purposes.items():
        assert purpose.id == purpose_id
        assert purpose.zh and purpose.en and purpose.description_zh and purpose.description_en


def test_every_masking_profile_names_every_sensitivity(policies: Policies) -> None:
    for profile in policies.masking.values():
        assert set(profile) == set(SENSITIVITIES)


def test_every_tier_has_a_masking_profile(policies: Policies) -> None:
    for tier in policies.tiers.values():
        assert policies.profile(tier) is policies.masking[tier.masking_profile]


def test_schema_error_names_file_and_json_path(directory: Path) -> None:
    edit(directory, "tiers", lambda d: d["tiers"]["partner"].update(maxLevel=7))
    [issue] = issues_of(directory)
    assert (issue.file, issue.path) == ("tiers.yaml", "$.tiers.partner.maxLevel")
    assert "7 is greater than the maximum of 4" in issue.message
    assert str(issue).startswith("tiers.yaml: $.tiers.partner.maxLevel: ")


def test_missing_member_is_reported_at_its_own_path(directory: Path) -> None:
    edit(directory, "purposes", lambda d: d["purposes"]["statistics"].pop("description"))
    [issue] = issues_of(directory)
    assert str(issue) == "purposes.yaml: $.purposes.statistics.description: is required"


def test_unknown_member_is_reported_with_a_suggestion(directory: Path) -> None:
    def misspell(document: dict[str, Any]) -> None:
        document["tiers"]["open"]["maxLevels"] = document["tiers"]["open"].pop("maxLevel")

    edit(directory, "tiers", misspell)
    paths = {(i.path, i.message) for i in issues_of(directory)}
    assert ("$.tiers.open.maxLevels", "unknown member; did you mean 'maxLevel'?") in paths
    assert ("$.tiers.open.maxLevel", "is required") in paths


def test_profile_missing_a_sensitivity_is_rejected(directory: Path) -> None:
    edit(directory, "masking", lambda d: d["profiles"]["partner"].pop("bank-account"))
    [issue] = issues_of(directory)
    assert str(issue) == "masking.yaml: $.profiles.partner.bank-account: is required"


def test_unknown_masking_method_is_rejected(directory: Path) -> None:
    edit(directory, "masking", lambda d: d["profiles"]["public"].update(phone="scramble"))
    [issue] = issues_of(directory)
    assert (issue.file, issue.path) == ("masking.yaml", "$.profiles.public.phone")


def test_generalising_what_cannot_be_generalised_is_rejected(directory: Path) -> None:
    edit(directory, "masking", lambda d: d["profiles"]["partner"].update(phone="generalise"))
    [issue] = issues_of(directory)
    assert (issue.file, issue.path) == ("masking.yaml", "$.profiles.partner.phone")
    assert "phone cannot be generalised" in issue.message


def test_tier_naming_an_unknown_masking_profile_is_rejected(directory: Path) -> None:
    edit(directory, "tiers", lambda d: d["tiers"]["open"].update(maskingProfile="anonymous"))
    [issue] = issues_of(directory)
    assert (issue.file, issue.path) == ("tiers.yaml", "$.tiers.open.maskingProfile")
    assert "unknown masking profile 'anonymous'" in issue.message


def rename_purpose(document: dict[str, Any]) -> None:
    document["purposes"]["Bad Id"] = document["purposes"].pop("statistics")


def test_all_problems_of_all_documents_are_reported_together(directory: Path) -> None:
    edit(directory, "tiers", lambda d: d["tiers"]["open"].update(recordsPerDay=0))
    edit(directory, "purposes", rename_purpose)
    (directory / "trust.yaml").write_text("issuers: [\n", "utf-8")
    files = {i.file for i in issues_of(directory)}
    assert files == {"tiers.yaml", "purposes.yaml", "trust.yaml"}


def test_broken_yaml_names_the_line(directory: Path) -> None:
    (directory / "trust.yaml").write_text("issuers:\n  - issuer: [\n", "utf-8")
    [issue] = issues_of(directory)
    assert issue.file == "trust.yaml" and issue.path == "$"
    assert issue.message.startswith("not valid YAML (line ")


def test_missing_document_is_reported(directory: Path) -> None:
    (directory / "purposes.yaml").unlink()
    [issue] = issues_of(directory)
    assert issue.file == "purposes.yaml" and "file not found" in issue.message


def test_empty_document_is_reported(directory: Path) -> None:
    (directory / "masking.yaml").write_text("# nothing yet\n", "utf-8")
    [issue] = issues_of(directory)
    assert str(issue) == "masking.yaml: $: the document is empty"


def test_trusted_issuer_is_loaded_with_its_claim_mapping(directory: Path) -> None:
    edit(directory, "trust", lambda d: d["issuers"].append(trusted_issuer()))
    issuer = load_policies(directory).trusted_issuer("https://auth.tj.example.gov.cn")
    assert isinstance(issuer, TrustedIssuer)
    assert issuer.jwks == {"keys": [PUBLIC_JWK]} and issuer.jwks_uri is None
    assert issuer.client_id_claim == "client_id"
    assert issuer.scopes == frozenset({"data:read", "catalog:read"})
    assert dict(issuer.tier_map) == {"gov": "government", "ent": "partner"}


def test_a_trusted_issuer_may_cap_its_tokens_lifetime_within_a_day(directory: Path) -> None:
    edit(directory, "trust", lambda d: d["issuers"].append(trusted_issuer(maxTokenLifetime=900)))
    issuer = load_policies(directory).trusted_issuer("https://auth.tj.example.gov.cn")
    assert issuer is not None and issuer.max_token_lifetime == 900
    edit(directory, "trust", lambda d: d["issuers"][0].update(maxTokenLifetime=10 * 86400))
    [issue] = issues_of(directory)
    assert issue.path == "$.issuers[0].maxTokenLifetime"


def test_trusted_issuer_needs_exactly_one_of_jwks_and_jwks_uri(directory: Path) -> None:
    both = trusted_issuer(jwksUri="https://auth.tj.example.gov.cn/jwks.json")
    neither = trusted_issuer(jwks=None)
    edit(directory, "trust", lambda d: d["issuers"].extend([both, neither]))
    issues = issues_of(directory)
    expected = "exactly one of jwks and jwksUri is required"
    assert [(i.path, i.message) for i in issues] == [
        ("$.issuers[0]", expected),
        ("$.issuers[1]", expected),
    ]


def test_trusted_issuer_is_never_delegated_admin(directory: Path) -> None:
    edit(directory, "trust", lambda d: d["issuers"].append(trusted_issuer(scopes=["admin"])))
    [issue] = issues_of(directory)
    assert issue.path == "$.issuers[0].scopes[0]"
    assert "admin is never delegated" in issue.message


def test_trusted_issuer_jwks_must_not_hold_private_keys(directory: Path) -> None:
    private = {**PUBLIC_JWK, "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}
    issuer = trusted_issuer(jwks={"keys": [private]})
    edit(directory, "trust", lambda d: d["issuers"].append(issuer))
    [issue] = issues_of(directory)
    assert issue.path == "$.issuers[0].jwks.keys[0]"
    assert issue.message == "a trusted issuer's JWKS holds public keys only"


def test_trusted_issuer_needs_a_way_to_find_region_and_tier(directory: Path) -> None:
    bare = trusted_issuer(
        regionClaim=None, defaultRegion=None, tierClaim=None, tierMap=None, defaultTier=None
    )
    edit(directory, "trust", lambda d: d["issuers"].append(bare))
    messages = {i.message for i in issues_of(directory)}
    assert messages == {
        "regionClaim or defaultRegion is required",
        "tierClaim (with tierMap) or defaultTier is required",
    }


def test_trusted_issuer_tier_must_exist(directory: Path) -> None:
    edit(
        directory,
        "trust",
        lambda d: d["issuers"].append(trusted_issuer(tierMap={"gov": "minister"})),
    )
    [issue] = issues_of(directory)
    assert issue.path == "$.issuers[0].tierMap.gov"
    assert issue.message.startswith("unknown tier 'minister'")


def test_duplicate_trusted_issuer_is_rejected(directory: Path) -> None:
    edit(directory, "trust", lambda d: d["issuers"].extend([trusted_issuer(), trusted_issuer()]))
    [issue] = issues_of(directory)
    assert issue.path == "$.issuers[1].issuer" and "duplicate issuer" in issue.message


def test_trusted_issuer_maps_claims_to_a_caller(directory: Path) -> None:
    edit(directory, "trust", lambda d: d["issuers"].append(trusted_issuer()))
    issuer = load_policies(directory).trusted_issuers["https://auth.tj.example.gov.cn"]
    claims = {
        "client_id": "tj-hrss",
        "org_class": "gov",
        "region_code": "120116",
        "org_name": "滨海新区人社局",
        "scope": "data:read audit:read admin",
    }
    caller = issuer.caller_for(claims)
    assert caller.client_id == "https://auth.tj.example.gov.cn#tj-hrss"
    assert caller.tier == "government"
    assert caller.region == "120116"
    assert caller.scopes == frozenset({"data:read"})
    assert issuer.organisation_for(claims) == "滨海新区人社局"


def test_trusted_issuer_falls_back_to_its_defaults(directory: Path) -> None:
    edit(directory, "trust", lambda d: d["issuers"].append(trusted_issuer()))
    issuer = load_policies(directory).trusted_issuers["https://auth.tj.example.gov.cn"]
    caller = issuer.caller_for({"client_id": "tj-x", "org_class": "unknown", "scope": "data:read"})
    assert (caller.tier, caller.region) == ("open", "120000")


def test_trusted_issuer_without_client_claim_maps_to_no_caller() -> None:
    issuer = TrustedIssuer(
        issuer="https://auth.example",
        audience="gw",
        scopes=frozenset({"data:read"}),
        jwks_uri="https://auth.example/jwks",
        tier_claim="t",
        tier_map={"a": "partner"},
        default_region="130000",
    )
    with pytest.raises(ValueError, match="no 'client_id' claim"):
        issuer.caller_for({"sub": "x"})
    with pytest.raises(ValueError, match="maps to no tier"):
        issuer.caller_for({"client_id": "x", "t": "b"})
