"""The catalogue pages in a real browser: Debian's Chromium driven by Playwright, against the demo
gateway started as `jjj-gateway demo`.

Every page visited is checked for what a person would see, for the accessibility rules a script
can check, for requests leaving the gateway and for Content-Security-Policy violations; a
screenshot of each is written to test-artifacts/. With GATEWAY_DOC_SCREENSHOTS=1 the screenshots
of docs/catalogue-guide.md are written to docs/img/ as well.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from playwright.sync_api import Request as BrowserRequest

from tests.conftest import service_missing

from .processes import JJJ, Process, free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOC_IMAGES = ROOT / "docs" / "img"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}

# The accessibility rules a script can check (tests/e2e/accessibility.js says which).
ACCESSIBILITY_PROBLEMS = (Path(__file__).parent / "accessibility.js").read_text("utf-8")


@dataclass
class Watch:
    """What the browser did for one person's visit: requests, console messages, page errors."""

    origin: str
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        def on_request(request: BrowserRequest) -> None:
            self.requests.append(request.url)

        def on_console(message: ConsoleMessage) -> None:
            if message.type in ("error", "warning"):
                self.console.append(message.text)

        page.on("request", on_request)
        page.on("console", on_console)
        page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.origin + "/")]

    def csp_violations(self) -> list[str]:
        return [text for text in self.console if "Content Security Policy" in text]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo gateway, as `make run` starts it, on a free port with its own instance folder."""
    root = tmp_path_factory.mktemp("pages")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo = Process(
        "demo",
        [JJJ, "--instance", str(root / "instance"), "demo", "--bind", f"127.0.0.1:{port}"],
        env={},
        log_dir=root,
        health_url=f"{base}/healthz",
    )
    demo.start(timeout=90)
    try:
        yield base
    finally:
        demo.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        service_missing(f"Chromium is not installed at {CHROMIUM} (Debian package chromium)")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    try:
        yield context
    finally:
        context.close()


def screenshot(page: Page, name: str, *, doc_image: str | None = None) -> None:
    """A full-page screenshot into test-artifacts/, and the guide's image when asked for."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"pages-{name}.png", full_page=True)
    if doc_image and os.environ.get("GATEWAY_DOC_SCREENSHOTS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=DOC_IMAGES / doc_image)


def check_accessibility(page: Page) -> None:
    problems = page.evaluate(ACCESSIBILITY_PROBLEMS)
    assert problems == [], f"{page.url}: {problems}"


def check_clean(watch: Watch) -> None:
    assert watch.foreign_requests() == []
    assert watch.csp_violations() == []
    assert watch.console == []


def params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def visible_text(page: Page, selector: str) -> str:
    return " ".join(page.locator(selector).inner_text().split())


def test_a_person_finds_tianjin_companies_and_reads_about_them_in_english(
    gateway: str, context: BrowserContext
) -> None:
    page = context.new_page()
    watch = Watch(gateway)
    watch.attach(page)

    # The home page, in Chinese for a browser that prefers it.
    page.goto(gateway + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "京津冀公共数据目录"
    check_accessibility(page)
    screenshot(page, "home-desktop")

    # Search 企业.
    page.get_by_label("搜索数据集").fill("企业")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url(re.compile(r"q=%E4%BC%81%E4%B8%9A"))
    assert visible_text(page, "#results-heading").startswith("“企业”：共")
    titles = page.locator(".card__title").all_inner_texts()
    assert "市场主体登记信息" in titles

    # Filter to Tianjin with the region facet.
    region_facet = page.locator(".facet").filter(
        has=page.get_by_role("heading", name="区域", exact=True)
    )
    region_facet.get_by_role("link", name=re.compile(r"^天津市")).click()
    page.wait_for_url(re.compile(r"region=120000"))
    assert params(page) == {"q": ["企业"], "region": ["120000"]}
    assert page.get_by_role("link", name=re.compile(r"^区域：天津市")).is_visible()
    assert "市场主体登记信息" in page.locator(".card__title").all_inner_texts()
    selected = region_facet.locator("[aria-current=true]")
    assert selected.inner_text().startswith("天津市")
    check_accessibility(page)
    screenshot(page, "search-tianjin-desktop", doc_image="catalogue-search.png")

    # Open the dataset page: it carries the region along.
    page.get_by_role("link", name="市场主体登记信息").click()
    page.wait_for_url(re.compile(r"/catalog/market-entity-registration\?region=120000$"))
    assert page.locator("h1").inner_text() == "市场主体登记信息"
    assert page.locator(".ds-header .badges").inner_text().split() == [
        "无条件共享",
        "数据分级",
        "1",
        "·",
        "公开",
    ]
    fields = page.locator("table.fields-table")
    assert fields.locator("thead th").all_inner_texts() == [
        "字段名",
        "类型",
        "说明",
        "分级",
        "敏感类别",
    ]
    credit = fields.locator("tbody tr").filter(has_text="creditCode")
    assert "统一社会信用代码" in credit.inner_text() and "1 · 公开" in credit.inner_text()
    legal_id = fields.locator("tbody tr").filter(has_text="legalRepId")
    assert "3 · 敏感" in legal_id.inner_text() and "身份证号" in legal_id.inner_text()
    serving = page.locator("table.nodes-table tbody tr.is-highlighted th")
    assert [" ".join(t.split()) for t in serving.all_inner_texts()] == [
        "天津市信息资源统一共享交换平台 tianjin 服务天津市",
        "滨海新区政务数据共享平台 tianjin-binhai 服务天津市",
    ]
    access = visible_text(page, "#access")
    assert "最低可用等级 开放" in access and "是否需要授权 不需要" in access
    sample = page.locator("#sample pre").inner_text()
    assert f"{gateway}/v1/datasets/market-entity-registration/records/91" in sample
    check_accessibility(page)
    screenshot(page, "dataset-zh-desktop", doc_image="catalogue-dataset.png")

    # Switch to English.
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert params(page) == {"region": ["120000"], "lang": ["en"]}
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Market entity registration"
    assert "Unconditional sharing" in page.locator(".ds-header .badges").inner_text()
    credit = page.locator("table.fields-table tbody tr").filter(has_text="creditCode")
    assert "Unified social credit code" in credit.inner_text()
    serving = page.locator("table.nodes-table tbody tr.is-highlighted th")
    assert "Tianjin information-resource sharing platform" in serving.first.inner_text()
    assert "serves Tianjin" in serving.first.inner_text()
    assert "Lowest tier admitted Open" in visible_text(page, "#access")
    check_accessibility(page)
    screenshot(page, "dataset-en-desktop")

    # The language persists on the next link: the region browser, then Tianjin.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Browse by region").click()
    page.wait_for_url(re.compile(r"/regions\?lang=en$"))
    assert page.locator("h1").inner_text() == "Browse by region"
    grouping = page.locator(".tree__item--grouping")
    assert "Xiong'an New Area" in grouping.inner_text() and "Non-standard" in grouping.inner_text()
    check_accessibility(page)
    screenshot(page, "regions-en-desktop")

    page.get_by_role("heading", name="Tianjin").get_by_role("link").click()
    page.wait_for_url(re.compile(r"/regions/120000\?lang=en$"))
    assert page.locator("h1").inner_text() == "Tianjin"
    served = page.locator(".served__item").filter(has_text="Market entity registration")
    assert "Binhai New Area data-sharing platform" in served.inner_text()
    check_accessibility(page)
    screenshot(page, "region-tianjin-en-desktop")

    check_clean(watch)


def test_the_region_browser_nests_districts_under_provinces(
    gateway: str, context: BrowserContext
) -> None:
    page = context.new_page()
    watch = Watch(gateway)
    watch.attach(page)
    page.goto(gateway + "/regions")
    assert page.locator("h1").inner_text() == "按区域浏览"
    assert page.locator(".province__name").all_inner_texts() == ["北京市", "天津市", "河北省"]
    hebei = page.locator(".province").filter(has=page.get_by_role("heading", name="河北省"))
    baoding = hebei.locator(".tree__item").filter(has=page.get_by_role("link", name="保定市"))
    assert "容城县" in baoding.locator(".tree").first.inner_text()
    grouping = hebei.locator(".tree__item--grouping")
    assert "雄安新区" in grouping.inner_text() and "非国标区划" in grouping.inner_text()
    assert "容城县、安新县、雄县" in grouping.inner_text()
    check_accessibility(page)
    screenshot(page, "regions-zh-desktop", doc_image="catalogue-regions.png")

    grouping.get_by_role("link", name="雄安新区").click()
    page.wait_for_url(re.compile(r"/regions/xiongan$"))
    served = page.locator(".served__item").filter(has_text="市场主体登记信息")
    assert "雄安新区政务数据共享平台" in served.inner_text()
    check_accessibility(page)
    screenshot(page, "region-xiongan-desktop")
    check_clean(watch)


def test_the_pages_fit_a_phone(gateway: str, browser: Browser) -> None:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    try:
        page = context.new_page()
        watch = Watch(gateway)
        watch.attach(page)
        for path, name in (
            ("/", "home-phone"),
            ("/catalog/social-insurance-payment", "dataset-phone"),
            ("/catalog/market-entity-registration", "dataset-preview-phone"),
            ("/regions", "regions-phone"),
        ):
            page.goto(gateway + path)
            # Nothing wider than the screen: no sideways scrolling of the whole page.
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} is {width}px wide"
            check_accessibility(page)
            screenshot(page, name, doc_image="catalogue-phone.png" if path == "/" else None)
        search = page.goto(gateway + "/")
        assert search is not None and search.ok
        box = page.get_by_label("搜索数据集").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        check_clean(watch)
    finally:
        context.close()


def test_the_skip_link_appears_on_focus_and_focus_is_visible(
    gateway: str, context: BrowserContext
) -> None:
    page = context.new_page()
    page.goto(gateway + "/catalog/market-entity-registration")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
          const el = document.activeElement, box = el.getBoundingClientRect();
          const style = getComputedStyle(el);
          return {text: el.textContent.trim(), top: box.top, outline: style.outlineStyle};
        }"""
    )
    assert focused["text"] == "跳到主要内容" and focused["top"] >= 0
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_an_unknown_dataset_is_a_page_saying_so(gateway: str, context: BrowserContext) -> None:
    page = context.new_page()
    watch = Watch(gateway)
    watch.attach(page)
    response = page.goto(gateway + "/catalog/no-such-dataset?lang=en")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "No such dataset in the catalogue"
    assert "no-such-dataset" in page.locator("main").inner_text()
    check_accessibility(page)
    screenshot(page, "not-found-en-desktop")
    page.get_by_role("link", name="Go to the catalogue home page").click()
    page.wait_for_url(re.compile(r"/\?lang=en$"))
    assert page.locator("h1").inner_text() == "JJJ Public Data Catalogue"
    # The 404 itself is reported on the console; nothing else may be.
    assert [m for m in watch.console if "404" not in m] == []
    assert watch.foreign_requests() == [] and watch.csp_violations() == []


def test_the_content_security_policy_is_enforced(gateway: str, context: BrowserContext) -> None:
    """The watch that finds no violation above does find one: an inline style is refused."""
    page = context.new_page()
    watch = Watch(gateway)
    watch.attach(page)
    page.goto(gateway + "/")
    assert watch.csp_violations() == []
    page.evaluate(
        """() => {
          const style = document.createElement('style');
          style.textContent = 'body { background: red; }';
          document.head.appendChild(style);
        }"""
    )
    page.wait_for_function("() => true")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    assert watch.csp_violations(), watch.console


def test_a_person_finds_datasets_by_a_region_name(gateway: str, context: BrowserContext) -> None:
    page = context.new_page()
    watch = Watch(gateway)
    watch.attach(page)
    page.goto(gateway + "/")
    page.get_by_label("搜索数据集").fill("海淀")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url(re.compile(r"q=%E6%B5%B7%E6%B7%80"))
    titles = page.locator(".card__title").all_inner_texts()
    assert "市场主体登记信息" in titles and "专利授权信息" in titles
    check_accessibility(page)
    screenshot(page, "search-haidian-desktop")

    page.goto(gateway + "/?q=Xiongan&lang=en")
    assert "Market entity registration" in page.locator(".card__title").all_inner_texts()
    check_clean(watch)


def test_a_person_browses_by_category_and_opens_a_long_facet(
    gateway: str, context: BrowserContext
) -> None:
    page = context.new_page()
    watch = Watch(gateway)
    watch.attach(page)
    page.goto(gateway + "/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="按类别浏览").click()
    page.wait_for_url(re.compile(r"/categories$"))
    assert page.locator("h1").inner_text() == "按类别浏览"
    finance = page.locator(".domain").filter(has=page.get_by_role("heading", name="财税金融"))
    assert "2 个数据集" in finance.locator(".domain__meta").inner_text()
    check_accessibility(page)
    screenshot(page, "categories-zh-desktop", doc_image="catalogue-categories.png")

    finance.get_by_role("link", name="纳税信用").click()
    page.wait_for_url(re.compile(r"/\?category=tax-credit$"))
    assert page.locator(".card__title").all_inner_texts() == ["纳税信用等级评价结果"]

    # The category facet has one value more than the page shows: the rest is one link away.
    page.goto(gateway + "/")
    category = page.locator(".facet").filter(has=page.get_by_role("heading", name="类别"))
    assert category.locator(".facet__value").count() == 8
    category.get_by_role("link", name=re.compile("全部 9 项")).click()
    page.wait_for_url(re.compile(r"/facets/category$"))
    assert page.locator(".facet__value").count() == 9
    check_accessibility(page)
    screenshot(page, "facet-category-desktop")

    page.goto(gateway + "/catalog/tax-credit-rating?lang=en")
    page.get_by_role("link", name="Finance and taxation").click()
    page.wait_for_url(re.compile(r"domain=finance-tax"))
    assert len(page.locator(".card__title").all_inner_texts()) == 2
    check_clean(watch)


def test_a_dataset_page_previews_masked_records_for_the_open_tier(
    gateway: str, context: BrowserContext
) -> None:
    page = context.new_page()
    watch = Watch(gateway)
    watch.attach(page)
    page.goto(gateway + "/catalog/market-entity-registration")
    preview = page.locator("#preview")
    assert preview.get_by_role("heading", name="数据预览").is_visible()
    table = preview.locator("table.preview-table")
    assert table.locator("thead th").all_inner_texts() == ["字段", "示例 1", "示例 2", "示例 3"]
    name_row = table.locator("tbody tr").filter(has_text="legalRepName").inner_text()
    assert "部分遮蔽" in name_row and "王**" in name_row
    assert table.locator("tbody tr").filter(has_text="legalRepId").count() == 0
    assert "legalRepId" in preview.inner_text()  # named among the fields the tier does not get
    check_accessibility(page)
    screenshot(page, "dataset-preview-desktop")

    page.goto(gateway + "/catalog/household-registration?lang=en")
    notice = page.locator("#preview .preview-none").inner_text()
    assert notice.startswith("No preview for the Open tier:") and "not shared" in notice
    check_accessibility(page)
    check_clean(watch)


def test_the_api_reference_has_the_catalogue_layout_a_language_switch_and_pages_per_dataset(
    gateway: str, context: BrowserContext
) -> None:
    page = context.new_page()
    watch = Watch(gateway)
    watch.attach(page)
    page.goto(gateway + "/docs")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert visible_text(page, "h1") == "API 参考"
    nav = page.get_by_role("navigation", name="主导航")
    assert nav.get_by_role("link", name="API 文档").get_attribute("aria-current") == "page"
    # No page holds every dataset's schemas: the overview lists operations, a tag has its page.
    overview_height = page.evaluate("document.documentElement.scrollHeight")
    assert page.locator(".schema").count() == 0
    check_accessibility(page)
    screenshot(page, "docs-overview-desktop")
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/docs?lang=en")
    assert visible_text(page, "h1") == "API reference"
    # Each dataset has a page of its own, from its own document, reached through the taxonomy.
    page.get_by_role("list", name="Datasets by domain").get_by_role(
        "link", name="Ecology and environment"
    ).click()
    page.wait_for_url("**/docs/datasets?lang=en#domain-environment")
    check_accessibility(page)
    page.get_by_role("link", name="Air quality", exact=True).click()
    page.wait_for_url("**/docs/datasets?category=air-quality&lang=en")
    page.get_by_role("list", name="List of datasets").get_by_role(
        "link", name="Hourly air quality"
    ).click()
    page.wait_for_url("**/docs/datasets/air-quality-hourly?lang=en")
    assert visible_text(page, "h1") == "Hourly air quality"
    assert page.locator(".operation").count() == 3
    assert page.locator("#schema-AirQualityHourlyRecord").count() == 1
    assert page.locator("#schema-MarketEntityRegistrationRecord").count() == 0
    tag_height = page.evaluate("document.documentElement.scrollHeight")
    assert max(overview_height, tag_height) < 100_798 / 4
    check_accessibility(page)
    screenshot(page, "docs-tag-desktop")
    check_clean(watch)
