# SPDX-License-Identifier: Apache-2.0
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(os.environ.get("XYD_TEST_DATA", ROOT / "tests" / "data"))
CLI = os.environ.get("XYD_CLI", str(ROOT / "build" / "xyd"))


def run_cli(*args, input=None, check=False):
    return subprocess.run([CLI, *map(str, args)], input=input, capture_output=True, check=check)


@pytest.fixture(scope="session")
def cli():
    return run_cli


@pytest.fixture(scope="session")
def feed_1000(tmp_path_factory):
    """`xyd gen --subjects 1000 --seed 7` written once per session."""
    path = tmp_path_factory.mktemp("gen") / "feed-1000.jsonl"
    run_cli("gen", "--subjects", 1000, "--seed", 7, "--out", path, check=True)
    return path
