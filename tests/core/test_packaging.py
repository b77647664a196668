import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
NOT_PACKAGES = {"python", "pip", "-e ."}


def normalise(requirement: str) -> str:
    name = re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0]
    return name.lower().replace("_", "-")


def test_environment_yml_and_pyproject_list_the_same_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {normalise(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {normalise(r) for r in extra}
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    listed = set()
    for entry in environment["dependencies"]:
        entries = entry["pip"] if isinstance(entry, dict) else [entry]
        listed |= {normalise(e) for e in entries if e.strip() not in NOT_PACKAGES}
    listed -= {normalise(n) for n in NOT_PACKAGES}
    assert listed == declared, (
        f"only in environment.yml: {sorted(listed - declared)}; "
        f"only in pyproject.toml: {sorted(declared - listed)}"
    )


def test_committed_notebooks_carry_no_outputs_except_expected_ones():
    import nbformat

    from playbook.notebook_hygiene import is_clean

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    dirty = [p.name for p in notebooks if not is_clean(nbformat.read(p, as_version=4))]
    assert not dirty, f"run `make clean` before committing: {dirty}"


def test_every_notebook_has_a_title_cell_and_a_tagged_parameters_cell():
    import nbformat

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# "), path.name
        assert "parameters" in cells[1].metadata.get("tags", []), path.name
        assert "engagement_dir" in cells[1].source and "run_dir" in cells[1].source, path.name
