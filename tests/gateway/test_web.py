"""The catalogue pages, rendered by the app: languages, search state, dataset and region pages,
errors as pages, and the headers that keep the pages self-contained."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gateway.http.web.headers import CONTENT_SECURITY_POLICY
from gateway.http.web.search_state import SearchState

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}
# Links that leave the pages for the JSON API or the API docs do not carry the page language.
NOT_PAGES = ("/v1/", "/openapi.json", "/docs", "/static/")


class Document(HTMLParser):
    """Just enough of an HTML page for the tests: elements with their attributes, and text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.elements if name == tag]

    def links(self) -> list[str]:
        return [a["href"] for a in self.all("a") if "href" in a]

    def page_links(self) -> list[str]:
        return [
            href for href in self.links() if href.startswith("/") and not href.startswith(NOT_PAGES)
        ]


def page(client: FlaskClient, url: str, headers: dict[str, str] | None = None) -> Document:
    response = client.get(url, headers=headers or ZH)
    assert response.status_code == 200, url
    assert response.content_type == "text/html; charset=utf-8"
    return Document(response.get_data(as_text=True))


def query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


# --- languages -------------------------------------------------------------------------------


def test_pages_are_chinese_by_default(client: FlaskClient) -> None:
    response = client.get("/")
    doc = Document(response.get_data(as_text=True))
    assert doc.all("html")[0]["lang"] == "zh-CN"
    assert response.headers["Content-Language"] == "zh-CN"
    assert "Accept-Language" in response.headers["Vary"]
    assert "京津冀公共数据目录" in doc.text and "市场主体登记信息" in doc.text


def test_a_browser_preferring_english_gets_english(client: FlaskClient) -> None:
    doc = page(client, "/", EN)
    assert doc.all("html")[0]["lang"] == "en"
    assert "JJJ Public Data Catalogue" in doc.text and "Market entity registration" in doc.text


def test_the_lang_parameter_wins_over_accept_language(client: FlaskClient) -> None:
    assert page(client, "/?lang=zh", EN).all("html")[0]["lang"] == "zh-CN"
    assert page(client, "/?lang=en", ZH).all("html")[0]["lang"] == "en"
    # A language the pages do not have is no choice: the browser's preference applies.
    assert page(client, "/?lang=fr", EN).all("html")[0]["lang"] == "en"


@pytest.mark.parametrize(
    "url",
    [
        "/?lang=en",
        "/?lang=en&q=企业&region=120000",
        "/catalog/market-entity-registration?lang=en",
        "/regions?lang=en",
        "/regions/120000?lang=en",
    ],
)
def test_a_chosen_language_is_carried_in_every_link_and_form(client: FlaskClient, url: str) -> None:
    doc = page(client, url, ZH)
    [switch] = [a["href"] for a in doc.all("a") if "lang-switch" in a.get("class", "")]
    assert query(switch)["lang"] == ["zh"]
    links = [href for href in doc.page_links() if href != switch]
    assert links
    for href in links:
        assert query(href).get("lang") == ["en"], href
    for form in doc.all("form"):
        assert form["method"] == "get"
    hidden = [i for i in doc.all("input") if i.get("type") == "hidden" and i["name"] == "lang"]
    assert len(hidden) == len(doc.all("form"))


def test_a_negotiated_language_is_not_written_into_links(client: FlaskClient) -> None:
    doc = page(client, "/", EN)
    switch = [a["href"] for a in doc.all("a") if "lang-switch" in a.get("class", "")]
    assert switch == ["/?lang=zh"]
    assert all("lang" not in query(href) for href in doc.page_links() if href not in switch)


def test_the_language_switch_keeps_the_search(client: FlaskClient) -> None:
    doc = page(client, "/?q=企业&region=120000")
    [switch] = [a["href"] for a in doc.all("a") if "lang-switch" in a.get("class", "")]
    assert query(switch) == {"q": ["企业"], "region": ["120000"], "lang": ["en"]}


# --- search ----------------------------------------------------------------------------------


def _result_links(doc: Document) -> list[str]:
    return [href.split("?")[0] for href in doc.links() if href.startswith("/catalog/")]


def test_searching_enterprise_in_chinese_finds_market_entities(client: FlaskClient) -> None:
    doc = page(client, "/?q=企业")
    assert "/catalog/market-entity-registration" in _result_links(doc)
    assert "“企业”：共" in doc.text
    [search_box] = [i for i in doc.all("input") if i.get("name") == "q"]
    assert search_box["value"] == "企业"
    [label] = [lb for lb in doc.all("label") if lb.get("for") == "q"]
    assert label


def test_the_search_state_lives_in_the_url(client: FlaskClient) -> None:
    doc = page(client, "/?q=企业&region=120000&theme=economy")
    facet_links = [query(href) for href in doc.links() if href.startswith("/?")]
    # Choosing another value keeps the text and the other filters; the page starts again at 1.
    level_link = next(q for q in facet_links if q.get("level") == ["1"])
    assert level_link["q"] == ["企业"] and level_link["region"] == ["120000"]
    assert "page" not in level_link
    # The chosen region's link removes it and keeps the rest.
    remove = [q for q in facet_links if "region" not in q and q.get("theme") == ["economy"]]
    assert remove and all(q["q"] == ["企业"] for q in remove)


def test_facet_counts_are_those_of_the_catalogue_search(client: FlaskClient, app: Flask) -> None:
    from catalog import search

    config = app.extensions["jjj-gateway"].config
    served = {d: config.routing.served_regions(d) for d in config.catalog.datasets}
    facets = search(config.catalog, q="企业", served_regions=served).facets
    html = client.get("/?q=企业", headers=ZH).get_data(as_text=True)
    shown = dict(
        re.findall(
            r'<span class="facet__label">([^<]+)</span>\s*'
            r'<span class="facet__count" aria-hidden="true">(\d+)</span>',
            html,
        )
    )
    labels = {"unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享"}
    expected = {labels[v]: str(n) for v, n in facets["shareType"].items()}
    expected |= {
        config.catalog.regions.get(code).zh: str(n) for code, n in facets["region"].items()
    }
    assert expected and expected.items() <= shown.items()


def test_results_are_paged(client: FlaskClient) -> None:
    first = page(client, "/?perPage=4")
    assert len(_result_links(first)) == 4
    nexts = [a["href"] for a in first.all("a") if a.get("rel") == "next"]
    assert [query(h) for h in nexts] == [{"page": ["2"], "perPage": ["4"]}]
    last = page(client, "/?perPage=4&page=3")
    assert len(_result_links(last)) == 1
    assert not [a for a in last.all("a") if a.get("rel") == "next"]
    beyond = page(client, "/?perPage=4&page=9")
    assert _result_links(beyond) == [] and "这一页没有结果" in beyond.text


def test_the_pages_and_the_api_page_alike_by_default(client: FlaskClient) -> None:
    from gateway.http.web.search_state import SearchState

    api = client.get("/v1/catalog/datasets").get_json()["meta"]
    assert SearchState().per_page == api["perPage"] == 20


def test_a_region_name_finds_the_datasets_served_there(client: FlaskClient) -> None:
    doc = page(client, "/?q=海淀")
    assert "/catalog/market-entity-registration" in _result_links(doc)
    assert "没有符合条件的数据集" not in doc.text


def test_unusable_conditions_are_ignored_and_named(client: FlaskClient) -> None:
    doc = page(client, "/?level=7&region=999999&sort=random&page=0")
    assert "已忽略无效的条件：level, region, sort, page" in doc.text
    assert len(_result_links(doc)) == 9


def test_a_search_without_matches_says_so(client: FlaskClient) -> None:
    doc = page(client, "/?q=不存在的词语xyz")
    assert _result_links(doc) == [] and "没有符合条件的数据集" in doc.text


def test_search_state_parameters_leave_defaults_out() -> None:
    state = SearchState(q="企业", region="120000", page=3)
    assert state.params() == {"q": "企业", "region": "120000"}
    assert state.params(page=2) == {"q": "企业", "region": "120000", "page": "2"}
    assert state.params(shareType="conditional")["shareType"] == "conditional"
    assert "region" not in state.params(region=None)


# --- the dataset page ------------------------------------------------------------------------


def test_the_dataset_page_shows_fields_nodes_and_access(client: FlaskClient) -> None:
    response = client.get("/catalog/market-entity-registration", headers=ZH)
    html = response.get_data(as_text=True)
    doc = Document(html)
    assert [h for n, h in doc.elements if n == "h1"] and html.count("<h1") == 1
    for text in (
        "市场主体登记信息",
        "Market entity registration",
        "市场监督管理局",
        "无条件共享",
        "每日",
        "统一社会信用代码",
        "法定代表人身份证号",
        "身份证号",  # the sensitivity of legalRepId
        "天津市信息资源统一共享交换平台",
        "滨海新区政务数据共享平台",
        "最低可用等级",
        "开放",
        "不需要",
        "信用核查",
    ):
        assert text in doc.text, text
    row_headers = [th for th in doc.all("th") if th.get("scope") == "row"]
    col_headers = [th for th in doc.all("th") if th.get("scope") == "col"]
    assert len(row_headers) >= 13 and col_headers
    assert all(th.get("scope") in ("row", "col") for th in doc.all("th"))
    # The sample request is the API's (sampleRequest of the catalogue entry).
    sample = html.split('<pre class="code"')[1].split("</pre>")[0]
    assert "http://gateway.test/oauth/token" in sample
    assert "http://gateway.test/v1/datasets/market-entity-registration/records/91" in sample
    assert "http://gateway.test/v1/datasets/market-entity-registration/records?" in sample


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
        {"Forwarded": "host=evil.example;proto=https"},
    ],
)
def test_the_sample_request_names_the_configured_issuer_whatever_the_host_header(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    html = client.get("/catalog/market-entity-registration", headers={**ZH, **headers}).get_data(
        as_text=True
    )
    sample = html.split('<pre class="code"')[1].split("</pre>")[0]
    assert "evil.example" not in html
    assert "http://gateway.test/oauth/token" in sample


def test_the_dataset_page_marks_the_nodes_serving_the_chosen_region(client: FlaskClient) -> None:
    html = client.get("/catalog/market-entity-registration?region=120000", headers=ZH).get_data(
        as_text=True
    )
    highlighted = [
        row.split("</th>")[0] for row in html.split("<tr")[1:] if row.startswith(' class="is-high')
    ]
    assert len(highlighted) == 2
    assert "tianjin</code>" in highlighted[0] and "tianjin-binhai" in highlighted[1]


def test_a_conditional_dataset_needs_a_grant(client: FlaskClient) -> None:
    doc = page(client, "/catalog/social-insurance-payment", EN)
    for text in (
        "Conditional sharing",
        "Yes: an active grant for your client, this dataset and the purpose",
        "Government",
        "Apply to the provider's sharing office for a grant",
        "X-Purpose must be the purpose your grant was issued for",
        "pseudonym",
    ):
        assert text in doc.text, text


def test_an_unshared_dataset_is_listed_but_offers_no_request(client: FlaskClient) -> None:
    doc = page(client, "/catalog/household-registration")
    assert "不予共享" in doc.text and "网关从不提供其记录" in doc.text
    assert "请求示例" not in doc.text and "没有节点提供这个数据集" in doc.text


def test_an_unknown_dataset_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/catalog/no-such-dataset", headers=ZH)
    assert response.status_code == 404
    assert response.content_type == "text/html; charset=utf-8"
    doc = Document(response.get_data(as_text=True))
    assert "目录中没有这个数据集" in doc.text and "no-such-dataset" in doc.text
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_api_paths_keep_their_problems(client: FlaskClient) -> None:
    for url in ("/v1/catalog/datasets/no-such-dataset", "/v1/nothing-here"):
        response = client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"


@pytest.mark.parametrize("url", ["/catalog", "/catalog/a/b", "/regions/999999", "/static/x.css"])
def test_unknown_page_paths_are_html_404_pages(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.content_type == "text/html; charset=utf-8"
    assert "<h1>" in response.get_data(as_text=True)


def test_a_page_refuses_other_methods_with_an_html_page(client: FlaskClient) -> None:
    response = client.post("/")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert response.content_type == "text/html; charset=utf-8"


def test_an_unexpected_error_on_a_page_is_an_html_500(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("/secret/path/in/the/message")

    monkeypatch.setattr("gateway.http.web.views.search", broken)
    response = client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and response.content_type.startswith("text/html")
    assert "出了点问题" in body and "secret" not in body


# --- regions ---------------------------------------------------------------------------------


def test_the_region_browser_nests_districts_and_flags_xiongan(client: FlaskClient) -> None:
    html = client.get("/regions", headers=ZH).get_data(as_text=True)
    doc = Document(html)
    names = ("北京市", "天津市", "河北省", "海淀区", "滨海新区", "保定市", "容城县", "雄安新区")
    for name in names:
        assert name in doc.text, name
    grouping = html.split("tree__item--grouping")[1].split("</li>")[0]
    assert "雄安新区" in grouping and "非国标区划" in grouping
    assert "容城县、安新县、雄县" in grouping


def test_a_region_page_lists_what_is_served_there_and_by_whom(client: FlaskClient) -> None:
    doc = page(client, "/regions/120116")
    assert "在滨海新区可获取的数据集" in doc.text
    assert "由滨海新区政务数据共享平台提供" in doc.text
    assert "仅列目，不提供数据" in doc.text  # household registration
    crumbs = [href for href in doc.links() if href.startswith("/regions")]
    assert "/regions" in crumbs and "/regions/120000" in crumbs


def test_the_xiongan_page_says_it_is_not_a_standard_division(client: FlaskClient) -> None:
    doc = page(client, "/regions/xiongan", EN)
    assert "Non-standard" in doc.text
    assert "Rongcheng County, Anxin County, Xiong County" in doc.text
    assert "Xiong'an New Area data-sharing platform" in doc.text


# --- self-contained, strict pages ------------------------------------------------------------

PAGES = (
    "/",
    "/?q=企业&region=120000",
    "/catalog/market-entity-registration",
    "/regions",
    "/regions/xiongan",
)


@pytest.mark.parametrize("url", PAGES)
def test_pages_have_a_strict_policy_and_nothing_inline(client: FlaskClient, url: str) -> None:
    response: TestResponse = client.get(url)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    doc = Document(html)
    assert "<script" not in html and "<style" not in html
    for tag, attrs in doc.elements:
        assert "style" not in attrs, tag
        assert not any(name.startswith("on") for name in attrs), tag
        for name in ("href", "src", "action"):
            value = attrs.get(name, "")
            assert not value.startswith(("http:", "https:", "//")), value
    assert doc.all("meta") and any(m.get("name") == "viewport" for m in doc.all("meta"))


@pytest.mark.parametrize(
    "path", ["/catalog//patent-grants", "/regions//110000", "/v1/catalog//datasets"]
)
def test_a_doubled_slash_is_not_redirected_to_the_host_header(
    client: FlaskClient, path: str
) -> None:
    headers = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    response = client.get(path, headers=headers)
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert "evil.example" not in response.get_data(as_text=True)


def test_pages_say_how_long_they_may_be_cached(client: FlaskClient) -> None:
    for url in PAGES:
        assert client.get(url).headers["Cache-Control"] == "public, max-age=300", url
    assert client.get("/catalog/no-such-dataset").headers["Cache-Control"] == "no-store"


def test_static_files_are_served_by_the_gateway(client: FlaskClient) -> None:
    with client.get("/static/web/catalogue.css") as css:
        assert css.status_code == 200 and css.content_type.startswith("text/css")
        assert css.headers["X-Content-Type-Options"] == "nosniff"
        assert "WenQuanYi Micro Hei" in css.get_data(as_text=True)
    with client.get("/static/web/icon.svg") as icon:
        assert icon.status_code == 200 and icon.content_type.startswith("image/svg+xml")
    assert client.get("/static/../app.py").status_code == 404
