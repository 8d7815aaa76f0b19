"""Data previews on the dataset pages: the catalogue's example records as the open tier receives
them, decided and masked by the policy engine, and why a dataset has none."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gateway.http.previews import PREVIEW_CLIENT, dataset_preview
from gateway.services import Configuration
from gateway.storage.tables import audit_records
from policies import derive_pseudonym_key, mask_value

SECRET = b"s" * 32


def _preview(configuration: Configuration, dataset_id: str, **changes: Any) -> Any:
    dataset = configuration.catalog.get(dataset_id)
    assert dataset is not None
    if changes:
        dataset = dataclasses.replace(dataset, **changes)
    return dataset_preview(dataset, configuration.policies, configuration.catalog.regions, SECRET)


def test_a_preview_shows_the_examples_masked_as_the_open_tier_receives_them(
    configuration: Configuration,
) -> None:
    dataset = configuration.catalog.get("market-entity-registration")
    assert dataset is not None
    examples = dataset.record_schema["examples"]
    preview = _preview(configuration, dataset.id)
    assert len(preview.records) == 3 and preview.rule_id is None
    treatments = {f.name: f.treatment for f in preview.fields}
    # The open tier's plan (maxLevel 1, profile public): names partly masked, level-3 and
    # level-2 personal fields never sent.
    assert treatments["legalRepName"] == "partial" and treatments["creditCode"] == "clear"
    assert set(preview.dropped) == {"legalRepId", "contactPhone"}
    for shown, example in zip(preview.records, examples, strict=False):
        assert "legalRepId" not in shown and "contactPhone" not in shown
        assert shown["creditCode"] == example["creditCode"]
        assert shown["legalRepName"] == mask_value(
            example["legalRepName"], "partial", "person-name", pseudonym_key=b""
        )
        assert shown["legalRepName"] != example["legalRepName"]
    assert list(preview.records[0]) == [f.name for f in preview.fields]


def test_a_preview_pseudonymises_for_no_real_client(configuration: Configuration) -> None:
    assert derive_pseudonym_key(SECRET, PREVIEW_CLIENT) != derive_pseudonym_key(SECRET, "open")
    assert " " in PREVIEW_CLIENT  # no registered client id has one


def test_an_unshared_dataset_has_no_preview_and_says_why(configuration: Configuration) -> None:
    preview = _preview(configuration, "household-registration")
    assert preview.records == () and preview.rule_id == "share-type-none"
    assert "不予共享" in preview.reason_zh and "not shared" in preview.reason_en


def test_a_dataset_above_the_open_tier_has_no_preview(configuration: Configuration) -> None:
    preview = _preview(configuration, "social-insurance-payment")
    assert preview.records == () and preview.rule_id == "level-exceeds-tier"
    assert "open tier" in preview.reason_en


def test_a_dataset_without_examples_says_so(configuration: Configuration) -> None:
    dataset = configuration.catalog.get("patent-grants")
    assert dataset is not None
    schema = {k: v for k, v in dataset.record_schema.items() if k != "examples"}
    preview = _preview(configuration, "patent-grants", record_schema=schema)
    assert preview.records == () and preview.rule_id == "no-examples"


def test_the_dataset_page_shows_the_preview(client: FlaskClient) -> None:
    html = client.get("/catalog/market-entity-registration?lang=en").get_data(as_text=True)
    section = html.split('id="preview"')[1].split("</section>")[0]
    assert "as the Open tier sees them" in section and "partly masked" in section
    assert "王**" in section and "王燕婧" not in section
    assert "61011319750613494X" not in html  # legalRepId of the first example


def test_the_page_explains_why_a_conditional_dataset_has_no_preview(client: FlaskClient) -> None:
    html = client.get("/catalog/real-estate-registration?lang=en").get_data(as_text=True)
    section = html.split('id="preview"')[1].split("</section>")[0]
    assert "No preview for the Open tier" in section and "holding an active grant" in section
    assert "<table" not in section


def test_a_preview_is_not_an_audited_exchange(client: FlaskClient, app: Flask) -> None:
    engine = app.extensions["jjj-gateway"].engine

    def audited() -> int:
        with engine.connect() as connection:
            count = select(func.count()).select_from(audit_records)
            return int(connection.execute(count).scalar_one())

    before = audited()
    assert client.get("/catalog/market-entity-registration").status_code == 200
    assert audited() == before
