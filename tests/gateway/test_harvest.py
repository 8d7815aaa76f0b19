"""Harvesting: the central catalogue reads another gateway's paged DCAT-AP export over real HTTP
on loopback, checks each entry as a local one, reports what changed and what was refused, and
serves the accepted entries with their provenance."""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS
from werkzeug.serving import make_server

from catalog.categories import default_categories_file
from catalog.loader import default_datasets_directory
from catalog.regions import default_regions_file
from gateway.cli.catalog_harvest import FETCH_FAILURES, Stopped, fetch_entry, in_order
from gateway.cli.harvest_schedule import next_wait, parse_duration, run_every
from gateway.cli.main import main
from gateway.core.settings import load_settings
from gateway.demo import GenerationReport
from gateway.services import Configuration, load_configuration

from .conftest import app_settings, running_app

#: A district of Beijing the remote gateway's region registry has and the central one has not.
UNKNOWN_DISTRICT = (
    '  - {code: "110114", zh: 昌平区, en: Changping District, level: district, parent: "110000"}\n'
)
Entry = dict[str, Any]


def loaded_configuration(overrides: dict[str, Any]) -> Configuration:
    """The configuration of a test app, loaded with an instance folder of its own (loading
    keeps a cache there; the app's must still be new)."""
    instance = Path(overrides["instance_path"])
    loading = overrides | {"instance_path": instance.with_name(f"{instance.name}-loading")}
    return load_configuration(load_settings(loading, environ={}))


def district_entry(
    dataset_id: str,
    title: str = "区专利授权信息",
    regions: list[str] | None = None,
    modified: str | None = None,
) -> Entry:
    """A district's own entry, made from the shipped patent grants entry."""
    source = default_datasets_directory() / "patent-grants.yaml"
    entry: Entry = yaml.safe_load(source.read_text("utf-8"))
    entry["id"] = dataset_id
    entry["modified"] = modified or entry["modified"]
    entry["title"] = {"zh": title, "en": f"District patent grants ({dataset_id})"}
    entry["provider"]["regions"] = regions or ["110108"]
    return entry


@dataclass
class Remote:
    """Another gateway on a loopback port; ``publish`` replaces what it serves."""

    url: str
    tmp_path: Path
    demo_data: GenerationReport
    stack: ExitStack
    current: list[Callable[..., Any]] = field(default_factory=list)
    #: The paths asked for, in the order they arrived.
    paths: list[str] = field(default_factory=list)
    version: int = 0

    def entries_fetched(self) -> list[str]:
        """The ids whose entries were fetched since the last call, sorted."""
        fetched = sorted(p.split("/")[-2] for p in self.paths if p.endswith("/entry"))
        self.paths.clear()
        return fetched

    def publish(self, extra: list[Entry], harvest_dir: Path | None = None) -> None:
        """Serve the shipped entries and ``extra``, and the entries harvested into
        ``harvest_dir`` (a central catalogue that harvests districts)."""
        self.version += 1
        folder = self.tmp_path / f"remote-{self.version}"
        shutil.copytree(default_datasets_directory(), folder / "datasets")
        registry = default_regions_file().read_text("utf-8")
        tongzhou = next(line for line in registry.splitlines(True) if '"110112"' in line)
        registry = registry.replace(tongzhou, tongzhou + UNKNOWN_DISTRICT)
        (folder / "regions.yaml").write_text(registry, "utf-8")
        shutil.copy(default_categories_file(), folder / "categories.yaml")
        for entry in extra:
            text = yaml.safe_dump(entry, allow_unicode=True, sort_keys=False)
            (folder / "datasets" / f"{entry['id']}.yaml").write_text(text, "utf-8")
        overrides = app_settings(folder / "instance", self.demo_data) | {
            "issuer": self.url.split("/v1/", 1)[0],
            "catalog_dir": folder,
            "harvest_dir": harvest_dir,
        }
        configuration = loaded_configuration(overrides)
        app: Flask = self.stack.enter_context(running_app(overrides, configuration))
        self.current[:] = [app.wsgi_app]

    def go_down(self) -> None:
        def unavailable(environ: Any, start_response: Any) -> list[bytes]:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down for maintenance"]

        self.current[:] = [unavailable]


@contextmanager
def remote_gateway(tmp_path: Path, demo_data: GenerationReport) -> Iterator[Remote]:
    """A Remote serving on a port of its own, its folders under ``tmp_path``."""
    current: list[Callable[..., Any]] = []
    paths: list[str] = []

    def dispatch(environ: Any, start_response: Any) -> Any:
        paths.append(environ["PATH_INFO"])
        return current[0](environ, start_response)

    server = make_server("127.0.0.1", 0, dispatch, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with ExitStack() as stack:
        yield Remote(
            f"http://127.0.0.1:{server.server_port}/v1/catalog/dcat?perPage=4",
            tmp_path,
            demo_data,
            stack,
            current,
            paths,
        )
        server.shutdown()
        thread.join()


@pytest.fixture
def remote(tmp_path: Path, demo_data: GenerationReport) -> Iterator[Remote]:
    with remote_gateway(tmp_path, demo_data) as served:
        yield served


@dataclass
class Central:
    instance: Path
    harvest_dir: Path
    catalog_dir: Path | None = None

    def invoke(self, *args: str) -> Any:
        env = {"GATEWAY_HARVEST_DIR": str(self.harvest_dir)}
        if self.catalog_dir is not None:
            env["GATEWAY_CATALOG_DIR"] = str(self.catalog_dir)
        return CliRunner().invoke(main, ["--instance", str(self.instance), *args], env=env)

    def harvest(self, *args: str) -> tuple[int, Any, str]:
        result = self.invoke("catalog", "harvest", *args)
        body = json.loads(result.stdout) if "--json" in args and result.stdout else None
        return result.exit_code, body, result.stdout


@pytest.fixture
def central(tmp_path: Path) -> Central:
    return Central(tmp_path / "central", tmp_path / "harvested")


def test_a_harvest_adds_the_valid_entries_and_refuses_the_others_with_a_reason(
    remote: Remote, central: Central
) -> None:
    remote.publish(
        [
            district_entry("haidian-patents-a"),
            district_entry("haidian-patents-b"),
            district_entry("changping-patents", regions=["110114"]),
        ]
    )
    code, body, _ = central.harvest(remote.url, "--json")
    (report,) = body["data"]
    assert code == 0, report
    assert report["ok"] and report["source"] == remote.url
    assert report["added"] == ["haidian-patents-a", "haidian-patents-b"]
    refused = {Path(r["file"]).name: r for r in report["refused"]}
    changping = refused["changping-patents"]
    assert changping["path"] == "$.provider.regions[0]"
    assert "'110114' is not in the region registry" in changping["reason"]
    # The remote's copies of the central catalogue's own entries are refused, not merged.
    assert refused["patent-grants"]["path"] == "$.id"
    assert "entry of this catalogue already" in refused["patent-grants"]["reason"]
    (folder,) = central.harvest_dir.iterdir()
    stored = json.loads((folder / "haidian-patents-a.json").read_text("utf-8"))
    assert stored["provenance"]["source"] == remote.url
    assert stored["provenance"]["iri"].endswith("/v1/catalog/datasets/haidian-patents-a")
    assert stored["provenance"]["publisher"]["en"] == "Beijing-Tianjin-Hebei public data gateway"
    assert stored["provenance"]["modified"] == stored["entry"]["modified"]
    assert stored["provenance"]["contentHash"].startswith("sha256:")


def test_a_second_harvest_reports_what_was_added_updated_unchanged_and_removed(
    remote: Remote, central: Central
) -> None:
    remote.publish(
        [district_entry("district-a"), district_entry("district-b"), district_entry("district-c")]
    )
    assert central.harvest(remote.url)[0] == 0
    remote.entries_fetched()
    remote.publish(
        [
            district_entry("district-a", title="区专利授权信息（修订）", modified="2026-12-01"),
            district_entry("district-c"),
            district_entry("district-d"),
        ]
    )
    code, body, _ = central.harvest(remote.url, "--json")
    assert code == 0
    # District-c is listed as unchanged since the last harvest: it is not fetched again.
    assert remote.entries_fetched() == ["district-a", "district-d"]
    (report,) = body["data"]
    assert report["added"] == ["district-d"]
    assert report["updated"] == ["district-a"]
    assert report["unchanged"] == ["district-c"]
    assert report["removed"] == ["district-b"]
    (folder,) = central.harvest_dir.iterdir()
    assert sorted(p.stem for p in folder.glob("*.json")) == [
        "district-a",
        "district-c",
        "district-d",
    ]
    _, _, text = central.harvest(remote.url)
    assert "0 added, 0 updated, 3 unchanged, 0 removed, 9 refused" in text


def test_an_entry_edited_without_a_new_modified_date_is_fetched_again_by_a_full_harvest(
    remote: Remote, central: Central
) -> None:
    remote.publish([district_entry("district-a"), district_entry("district-b")])
    assert central.harvest(remote.url)[0] == 0
    remote.publish(
        [district_entry("district-a", title="区专利授权信息（改）"), district_entry("district-b")]
    )
    remote.entries_fetched()
    _, body, _ = central.harvest(remote.url, "--json")
    assert body["data"][0]["unchanged"] == ["district-a", "district-b"]
    assert remote.entries_fetched() == []
    _, body, _ = central.harvest(remote.url, "--full", "--workers", "2", "--json")
    assert body["data"][0]["updated"] == ["district-a"]
    assert body["data"][0]["unchanged"] == ["district-b"]
    assert remote.entries_fetched() == ["district-a", "district-b"]


def test_a_kept_entry_edited_by_hand_is_fetched_again(remote: Remote, central: Central) -> None:
    remote.publish([district_entry("district-a")])
    assert central.harvest(remote.url)[0] == 0
    (stored,) = central.harvest_dir.glob("*/district-a.json")
    document = json.loads(stored.read_text("utf-8"))
    document["entry"]["title"]["zh"] = "改过的"
    stored.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    remote.entries_fetched()
    _, body, _ = central.harvest(remote.url, "--json")
    assert remote.entries_fetched() == ["district-a"]
    # Unchanged at the source: the hash the file was kept with is the one fetched again.
    assert body["data"][0]["unchanged"] == ["district-a"]
    again = json.loads(stored.read_text("utf-8"))
    assert again["entry"]["title"]["zh"] == "区专利授权信息"


def test_a_source_that_is_down_keeps_its_last_good_harvest(
    remote: Remote, central: Central
) -> None:
    remote.publish([district_entry("district-a")])
    assert central.harvest(remote.url)[0] == 0
    (folder,) = central.harvest_dir.iterdir()
    before = (folder / "district-a.json").read_text("utf-8")
    remote.go_down()
    code, body, _ = central.harvest(remote.url, "--json")
    assert code == 1
    assert not body["data"][0]["ok"] and "answered 503" in body["data"][0]["error"]
    assert (folder / "district-a.json").read_text("utf-8") == before


def test_the_pages_of_an_export_are_followed_within_the_bound(
    remote: Remote, central: Central
) -> None:
    remote.publish([district_entry("district-a")])
    # Ten datasets in pages of four: three pages.
    code, body, _ = central.harvest(remote.url, "--max-pages", "2", "--json")
    assert code == 1 and "more than 2 pages" in body["data"][0]["error"]
    assert list(central.harvest_dir.glob("*/*.json")) == []
    code, body, _ = central.harvest(remote.url, "--max-pages", "3", "--json")
    assert code == 0 and body["data"][0]["added"] == ["district-a"]


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_harvested_entries_are_served_with_their_provenance(
    remote: Remote, central: Central, tmp_path: Path, demo_data: GenerationReport
) -> None:
    remote.publish([district_entry("district-a")])
    assert central.harvest(remote.url)[0] == 0
    overrides = app_settings(tmp_path / "served", demo_data) | {"harvest_dir": central.harvest_dir}
    configuration = loaded_configuration(overrides)
    with running_app(overrides, configuration) as app:
        client = app.test_client()
        entry = client.get("/v1/catalog/datasets/district-a").get_json()["data"]
        assert entry["provenance"]["source"] == remote.url
        assert entry["links"]["entry"] == "/v1/catalog/datasets/district-a/entry"
        own = client.get("/v1/catalog/datasets/patent-grants").get_json()["data"]
        assert own["provenance"] is None
        turtle = client.get("/v1/catalog/datasets/district-a?format=turtle").get_data()
        graph = Graph().parse(data=turtle, format="turtle")
        iri = URIRef("http://gateway.test/v1/catalog/datasets/district-a")
        assert graph.value(iri, DCTERMS.source) == URIRef(entry["provenance"]["iri"])
        page = client.get("/catalog/district-a?lang=en").get_data(as_text=True)
        assert "Harvested from" in page and remote.url.replace("&", "&amp;") in page


def test_an_own_entry_added_after_its_id_was_harvested_wins_and_the_gateway_still_starts(
    remote: Remote,
    central: Central,
    tmp_path: Path,
    demo_data: GenerationReport,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The own entry is served, the harvested one is left out with a warning in the log and
    in `catalog check` (which still passes), and the next harvest refuses it."""
    remote.publish([district_entry("district-a"), district_entry("district-b")])
    assert central.harvest(remote.url)[0] == 0
    central.catalog_dir = tmp_path / "central-catalog"
    shutil.copytree(default_datasets_directory(), central.catalog_dir / "datasets")
    shutil.copy(default_regions_file(), central.catalog_dir / "regions.yaml")
    shutil.copy(default_categories_file(), central.catalog_dir / "categories.yaml")
    own = district_entry("district-a", title="本地专利授权信息")
    text = yaml.safe_dump(own, allow_unicode=True, sort_keys=False)
    (central.catalog_dir / "datasets" / "district-a.yaml").write_text(text, "utf-8")

    overrides = app_settings(tmp_path / "served", demo_data) | {
        "harvest_dir": central.harvest_dir,
        "catalog_dir": central.catalog_dir,
    }
    # The command line's runs replace the root logger's handlers: the log is read at its source.
    logger = logging.getLogger("catalog.harvest")
    logger.addHandler(caplog.handler)
    try:
        configuration = loaded_configuration(overrides)
    finally:
        logger.removeHandler(caplog.handler)
    assert configuration.catalog.datasets["district-a"].provenance is None
    assert configuration.catalog.datasets["district-a"].title.zh == "本地专利授权信息"
    assert configuration.catalog.datasets["district-b"].provenance is not None
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "catalog.harvest"]
    assert "district-a.json: $.id: 'district-a' is an entry of this catalogue" in logged

    checked = central.invoke("catalog", "check")
    assert checked.exit_code == 0, checked.output
    warnings = [line for line in checked.stderr.splitlines() if "district-a" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: ")
    assert "the harvested one is left out" in warnings[0]
    assert "(1 warning(s))" in checked.stdout

    code, body, _ = central.harvest(remote.url, "--json")
    (report,) = body["data"]
    assert code == 0 and report["unchanged"] == ["district-b"]
    refused = {Path(r["file"]).name: r for r in report["refused"]}
    assert "entry of this catalogue already" in refused["district-a"]["reason"]
    assert "district-a" not in report["removed"]


def test_a_harvest_of_a_harvesting_catalogue_keeps_the_first_publisher_as_the_origin(
    remote: Remote, central: Central, tmp_path: Path, demo_data: GenerationReport
) -> None:
    """District → central → province, over real HTTP: the province records the hop it fetched
    the entry from (the central catalogue) and the district as its origin."""
    remote.publish([district_entry("district-a")])
    assert central.harvest(remote.url)[0] == 0
    province = Central(tmp_path / "province", tmp_path / "province-harvested")
    with remote_gateway(tmp_path / "central-served", demo_data) as central_served:
        central_served.publish([], harvest_dir=central.harvest_dir)
        answer = httpx.get(
            central_served.url.split("/v1/", 1)[0] + "/v1/catalog/datasets/district-a/entry"
        )
        assert answer.json()["meta"]["provenance"]["source"] == remote.url
        code, body, _ = province.harvest(central_served.url, "--json")
        assert code == 0 and body["data"][0]["added"] == ["district-a"]
    (stored,) = province.harvest_dir.glob("*/district-a.json")
    provenance = json.loads(stored.read_text("utf-8"))["provenance"]
    assert provenance["source"] == central_served.url
    assert provenance["iri"].startswith(central_served.url.split("/v1/", 1)[0])
    origin = provenance["origin"]
    assert origin["source"] == remote.url
    assert origin["iri"] == remote.url.split("/v1/", 1)[0] + "/v1/catalog/datasets/district-a"
    assert origin["publisher"]["en"] == "Beijing-Tianjin-Hebei public data gateway"
    # The central catalogue's own harvest recorded no origin: the district published it itself.
    (first_hop,) = central.harvest_dir.glob("*/district-a.json")
    assert json.loads(first_hop.read_text("utf-8"))["provenance"]["origin"] is None


def test_an_entry_whose_provenance_is_none_is_a_failure_to_fetch_it() -> None:
    def get(url: str, accept: str) -> bytes:
        return json.dumps({"data": {"id": "a"}, "meta": {"provenance": {"source": "x"}}}).encode()

    with pytest.raises(FETCH_FAILURES):
        fetch_entry(get, "http://district.test/v1/catalog/datasets/a")


def test_a_harvest_needs_a_harvest_folder_and_http_urls(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--instance", str(tmp_path), "catalog", "harvest"]
    missing = runner.invoke(main, [*args, "http://127.0.0.1:9/v1/catalog/dcat"], env={})
    assert missing.exit_code == 2 and "GATEWAY_HARVEST_DIR" in missing.output
    env = {"GATEWAY_HARVEST_DIR": str(tmp_path / "h")}
    assert runner.invoke(main, [*args, "file:///etc/passwd"], env=env).exit_code == 2
    bad_every = runner.invoke(main, [*args, "--every", "soon", "http://x.test/"], env=env)
    assert bad_every.exit_code == 2 and "--every" in bad_every.output


def test_the_scheduled_mode_reports_each_round_in_the_logs_and_stops_on_sigterm(
    remote: Remote, central: Central
) -> None:
    remote.publish([district_entry("district-a")])
    env = {
        **os.environ,
        "GATEWAY_INSTANCE_PATH": str(central.instance),
        "GATEWAY_HARVEST_DIR": str(central.harvest_dir),
    }
    command = [sys.executable, "-m", "gateway.cli.main", "catalog", "harvest", "--every", "1h"]
    with subprocess.Popen(
        [*command, remote.url], env=env, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stderr is not None
        round_report = None
        for line in process.stderr:
            if '"logger": "gateway.harvest"' in line:
                round_report = json.loads(line)
                break
        assert round_report is not None
        assert round_report["harvest"]["added"] == ["district-a"]
        process.send_signal(signal.SIGTERM)
        assert "harvest stopped" in process.stderr.read()
        assert process.wait(timeout=30) == 0


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("6h", 21600), ("1d", 86400)]
)
def test_a_schedule_is_a_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0m", "1w", "1.5h", "h", "-1h", "１h"])
def test_a_schedule_that_is_no_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_the_waits_of_the_schedule_have_jitter_within_a_tenth() -> None:
    rng = random.Random(7)
    waits = [next_wait(3600, rng) for _ in range(200)]
    assert all(3240 <= w <= 3960 for w in waits)
    assert len(set(waits)) == len(waits)


def test_the_scheduled_mode_stops_when_asked_without_another_round() -> None:
    stop = threading.Event()
    rounds: list[int] = []

    def once() -> list[Any]:
        rounds.append(1)
        stop.set()
        return []

    run_every(3600, once, stop)
    assert rounds == [1]


def test_entries_fetched_at_once_come_back_in_the_order_listed() -> None:
    first_done = threading.Event()

    def work(item: int) -> int:
        if item == 0:  # the first is the slowest: it finishes only after the last has
            assert first_done.wait(timeout=30)
        if item == 5:
            first_done.set()
        return item * 10

    got = [(i, f.result()) for i, f in in_order(list(range(6)), work, 8, threading.Event())]
    assert got == [(i, i * 10) for i in range(6)]


def test_a_harvest_asked_to_stop_fetches_nothing_more() -> None:
    stop = threading.Event()
    done: list[int] = []
    with pytest.raises(Stopped):
        for item, future in in_order(list(range(100)), done.append, 2, stop):
            future.result()
            if item == 3:
                stop.set()
    assert len(done) < 100
