import re
from pathlib import Path

import yaml

from playbook.patterns import CATALOGUE_FILE, catalogue

PACKAGE = Path(__file__).resolve().parents[2] / "playbook"
REMEDY_LITERAL = re.compile(r"""["']?remedy["']?\s*[:=]\s*["']([a-z0-9-]+)["']""")


def test_pattern_ids_are_unique():
    entries = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    ids = [entry["id"] for entry in entries]
    assert len(ids) == len(set(ids)) == len(catalogue())


def test_every_remedy_a_check_names_is_in_the_catalogue():
    named = {
        match.group(1)
        for path in PACKAGE.rglob("*.py")
        for match in REMEDY_LITERAL.finditer(path.read_text(encoding="utf-8"))
    }
    assert named, "no check names a remedy: the pattern of this test no longer matches the code"
    assert named <= set(catalogue()), f"unknown remedy ids: {sorted(named - set(catalogue()))}"
