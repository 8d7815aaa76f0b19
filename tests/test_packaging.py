"""The distribution's metadata, as the installed package reports it."""

from __future__ import annotations

from importlib.metadata import metadata


def test_the_licence_is_an_spdx_expression_with_its_file() -> None:
    # PEP 639: `license` is an SPDX expression and the licence text ships as a License-File;
    # the table form ({text = ...}) is deprecated by setuptools.
    meta = metadata("jjj-gateway")
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
