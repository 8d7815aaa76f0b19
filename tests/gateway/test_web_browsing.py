"""The catalogue pages at platform scale: long facets collapsed to their most frequent values
and listed in full on their own page, browsing by category, the category on a dataset's page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bench.platform_catalog import write_platform_catalog
from gateway.core.settings import load_settings
from gateway.demo import GenerationReport
from gateway.http.web import views
from gateway.services import Configuration, load_configuration

from .conftest import app_settings, running_app
from .test_web import EN, ZH, Document, page, query


def facet_links(doc: Document, name: str) -> list[str]:
    """The search links that set a parameter (on a page where no search is chosen)."""
    return [h for h in doc.links() if h.startswith("/?") and name in query(h)]


def facet_values(client: FlaskClient, url: str, name: str) -> list[str]:
    """The value links of one facet of the search page, in the order shown."""
    html = client.get(url, headers=ZH).get_data(as_text=True)
    section = html.split(f'id="facet-{name}"')[1].split("</section>")[0]
    return [a["href"] for a in Document(section).all("a") if "facet__value" in a.get("class", "")]


# --- the demo catalogue: nine categories, one more than a facet shows ----------------------


def test_a_long_facet_shows_its_most_frequent_values_and_links_to_all(
    client: FlaskClient,
) -> None:
    doc = page(client, "/?q=")
    assert len(facet_values(client, "/?q=", "category")) == views.FACET_VALUES_SHOWN
    more = [h for h in doc.links() if h.startswith("/facets/category")]
    assert more == ["/facets/category"]
    assert "全部 9 项" in doc.text
    # A short facet is shown whole, without a link.
    assert not [h for h in doc.links() if h.startswith("/facets/shareType")]


def test_the_chosen_value_of_a_long_facet_is_shown_even_when_rare(client: FlaskClient) -> None:
    # Every category holds one dataset: one of them is not among the eight shown.
    all_links = facet_links(page(client, "/facets/category"), "category")
    every = {query(h)["category"][0] for h in all_links}
    shown_first = {query(h)["category"][0] for h in facet_values(client, "/", "category")}
    (rare,) = every - shown_first
    doc = page(client, f"/?category={rare}")
    chosen = [a for a in doc.all("a") if a.get("aria-current") == "true"]
    assert len(chosen) == 1 and "category" not in query(chosen[0]["href"])
    shown = facet_values(client, f"/?category={rare}", "category")
    assert len(shown) == views.FACET_VALUES_SHOWN + 1 and chosen[0]["href"] in shown


def test_a_facet_page_lists_every_value_of_the_search(client: FlaskClient) -> None:
    doc = page(client, "/facets/category")
    assert len(facet_links(doc, "category")) == 9
    assert "类别：全部取值" in doc.text and "共 9 个取值，涉及 9 个数据集。" in doc.text
    searched = page(client, "/facets/category?q=企业&lang=en", EN)
    links = facet_links(searched, "category")
    assert sorted(query(h)["category"][0] for h in links) == ["market-entities", "tax-credit"]
    assert all(query(h)["q"] == ["企业"] and query(h)["lang"] == ["en"] for h in links)
    assert "2 values among the 2 datasets of this search." in searched.text
    back = [h for h in searched.links() if h.startswith("/?")]
    assert any(query(h) == {"q": ["企业"], "lang": ["en"]} for h in back)


def test_an_unknown_facet_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/facets/colour", headers=ZH)
    assert response.status_code == 404
    assert response.content_type == "text/html; charset=utf-8"


def test_domain_and_category_filter_the_search_and_unknown_ones_are_named(
    client: FlaskClient,
) -> None:
    doc = page(client, "/?domain=finance-tax")
    results = [h for h in doc.links() if h.startswith("/catalog/")]
    assert results == ["/catalog/government-procurement", "/catalog/tax-credit-rating"]
    assert "领域：财税金融" in doc.text
    ignored = page(client, "/?category=taxes&domain=economy-x")
    assert "已忽略无效的条件：domain, category" in ignored.text


def test_the_category_page_lists_every_domain_and_category_with_counts(
    client: FlaskClient, app: Flask
) -> None:
    taxonomy = app.extensions["jjj-gateway"].config.catalog.taxonomy
    doc = page(client, "/categories")
    assert "按类别浏览" in doc.text
    assert len(doc.all("h2")) == len(list(taxonomy))
    # Only a category holding datasets links to a search; each is there either way.
    categories = [query(h)["category"][0] for h in facet_links(doc, "category")]
    assert sorted(categories) == sorted(
        d.category for d in app.extensions["jjj-gateway"].config.catalog
    )
    for category in taxonomy.categories():
        assert category.label.zh in doc.text
    domains = [query(h)["domain"][0] for h in facet_links(doc, "domain")]
    assert "finance-tax" in domains and len(domains) == 8
    english = page(client, "/categories", EN)
    assert "Browse by category" in english.text and "Finance and taxation" in english.text


def test_every_page_links_to_the_category_browser(client: FlaskClient) -> None:
    for url in ("/", "/regions", "/catalog/patent-grants"):
        assert "/categories" in page(client, url).links()


def test_a_dataset_page_names_its_domain_and_category(client: FlaskClient) -> None:
    doc = page(client, "/catalog/tax-credit-rating")
    assert "/?domain=finance-tax" in doc.links() and "/?category=tax-credit" in doc.links()
    assert "纳税信用" in doc.text


def test_a_region_page_lists_its_first_datasets_and_links_to_the_rest(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "REGION_DATASETS_SHOWN", 3)
    doc = page(client, "/regions/110108")
    assert len([h for h in doc.links() if h.startswith("/catalog/")]) == 3
    assert "/?region=110108" in doc.links()
    assert "以上是前 3 个，共 9 个。" in doc.text


# --- a platform-like catalogue: 300 datasets over every category ----------------------------


@pytest.fixture(scope="module")
def platform_configuration(tmp_path_factory: pytest.TempPathFactory) -> Configuration:
    directory = tmp_path_factory.mktemp("platform")
    write_platform_catalog(directory, datasets=300, seed=2026)
    return load_configuration(load_settings({"catalog_dir": directory}, environ={}))


@pytest.fixture
def platform(
    tmp_path: Path, demo_data: GenerationReport, platform_configuration: Configuration
) -> Iterator[FlaskClient]:
    overrides: dict[str, Any] = app_settings(tmp_path / "instance", demo_data)
    with running_app(overrides, platform_configuration) as app:
        yield app.test_client()


def test_no_facet_of_a_large_catalogue_shows_more_than_its_first_values(
    platform: FlaskClient,
) -> None:
    doc = page(platform, "/")
    for name in views.FILTERS:
        assert len(facet_values(platform, "/", name)) <= views.FACET_VALUES_SHOWN, name
    assert "/facets/category" in doc.links() and "/facets/domain" in doc.links()
    assert len([h for h in doc.links() if h.startswith("/catalog/")]) == 20
    every = page(platform, "/facets/category")
    assert len(facet_links(every, "category")) == 256


def test_the_category_page_counts_a_large_catalogue(platform: FlaskClient) -> None:
    doc = page(platform, "/categories")
    assert len(facet_links(doc, "category")) == 256
    assert "20 个领域、256 个类别" in doc.text
