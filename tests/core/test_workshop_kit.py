"""The workshop kit (`templates/workshop/`) stays true to the product: an answer for every trainee
scenario naming its switch and check, a trainee handout that never gives a switch away, agendas
that cover every notebook, and only commands and options the command line has."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from playbook.cli import cli
from playbook.notebooks import SEQUENCE
from playbook.reference.switches import SWITCHES
from playbook.scenarios import SCENARIOS

KIT = Path(__file__).resolve().parents[2] / "templates" / "workshop"
ANSWERS = KIT / "answers"
TRAINEE_HANDOUT = KIT / "handouts" / "04-trainee-exercises.md"
GUIDE = KIT / "facilitator-guide.md"
AGENDAS = ("3-hour", "4-hour", "8-hour")
# Commands being added alongside the kit; accepted before they reach the command line.
COMING = {"doctor", "lab"}

# `playbook <command> ...` in code: after a start, a space or a path (`.venv/bin/playbook`).
COMMAND = re.compile(r"(?:^|(?<=[\s/]))playbook\s+([a-z][a-z-]*)([^\n]*)")
OPTION = re.compile(r"(?:^|\s)(--[a-z][a-z-]*)")


def kit_files() -> list[Path]:
    return sorted(KIT.rglob("*.md"))


def code_of(text: str) -> list[str]:
    """Every line of the fenced code blocks and every inline code span of a Markdown text."""
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    outside = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)
    lines = [line.split(" # ")[0] for block in fenced for line in block.splitlines()]
    spans = re.findall(r"`([^`]+)`", outside)  # a span may wrap onto the next line
    return lines + [" ".join(span.split()) for span in spans]


def mentioned_commands() -> list[tuple[str, str, str]]:
    """(file, command, the rest of its line) for every `playbook <command>` in the kit's code."""
    found = []
    for path in kit_files():
        for code in code_of(path.read_text(encoding="utf-8")):
            for name, rest in COMMAND.findall(code):
                found.append((str(path.relative_to(KIT)), name, rest))
    return found


def options_of(command: click.Command) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def test_the_kit_has_its_files() -> None:
    for name in (
        "README.md",
        "facilitator-guide.md",
        "sign-up.md",
        "handouts/01-the-gap.md",
        "handouts/02-decisions.md",
        "handouts/03-reading-the-scorecard.md",
        "handouts/04-trainee-exercises.md",
        "answers/README.md",
    ):
        assert (KIT / name).is_file(), name


def test_there_is_exactly_one_answer_per_scenario() -> None:
    answers = {path.stem for path in ANSWERS.glob("*.md") if path.name != "README.md"}
    assert answers == set(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_answer_names_its_switch_check_and_notebook(name: str) -> None:
    scenario = SCENARIOS[name]
    text = (ANSWERS / f"{name}.md").read_text(encoding="utf-8")
    assert f"`{scenario.switch}`" in text
    assert f"{{{scenario.switch}: true}}" in text, "the fix, as engagement.yaml takes it"
    assert f"`{scenario.check}`" in text
    assert f"`{scenario.notebook}`" in text


def test_the_answer_key_says_to_keep_it_from_participants() -> None:
    text = (ANSWERS / "README.md").read_text(encoding="utf-8")
    assert "away from participants" in text
    for name in SCENARIOS:
        assert f"`{name}`" in text


def test_the_trainee_handout_names_every_scenario_and_its_notebook() -> None:
    rows = {
        cells[0].strip("` "): cells[1].strip("` ")
        for line in TRAINEE_HANDOUT.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `") and len(cells := line.strip("|").split("|")) >= 3
    }
    for name, scenario in SCENARIOS.items():
        assert rows.get(name) == scenario.notebook, name


def test_the_trainee_handout_never_names_a_switch() -> None:
    text = TRAINEE_HANDOUT.read_text(encoding="utf-8")
    for switch in SWITCHES:
        for spelling in {switch, switch.replace("_", " "), switch.replace("_", "-")}:
            pattern = rf"(?<![A-Za-z0-9]){re.escape(spelling)}(?![A-Za-z0-9])"
            assert not re.search(pattern, text, flags=re.I), f"the handout gives away {switch!r}"


def agenda(title: str) -> str:
    """The section of the facilitator guide whose heading names the format."""
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}[^\n]*\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, f"no '## {title} ...' section"
    return match.group(1)


@pytest.mark.parametrize("title", AGENDAS)
def test_each_agenda_is_a_table_covering_every_notebook(title: str) -> None:
    section = agenda(title)
    table = [line for line in section.splitlines() if line.startswith("|")]
    assert len(table) > 8, "a table: a header, its rule, and a row per block"
    assert "time" in table[0] and "projector" in table[0] and "teams" in table[0]
    for entry in SEQUENCE:
        assert f"`{entry.name}`" in "\n".join(table), f"{title}: no block for {entry.name}"


def test_the_guide_says_what_to_do_when_a_laptop_fails() -> None:
    section = agenda("When a laptop fails")
    for words in ("playbook doctor", "offline", "Restart Kernel", "WSL", "pair"):
        assert words in section, words


def test_the_kit_mentions_only_commands_the_command_line_has() -> None:
    mentioned = mentioned_commands()
    assert {name for _, name, _ in mentioned} >= {"new", "run", "status", "decisions", "doctor"}
    for where, name, rest in mentioned:
        command = cli.commands.get(name)
        if command is None:
            assert name in COMING, f"{where}: `playbook {name}` is not a command"
            continue
        if isinstance(command, click.Group):
            sub = rest.split()[0] if rest.split() else ""
            assert sub in command.commands, f"{where}: `playbook {name} {sub}` is not a command"
            command = command.commands[sub]
        unknown = set(OPTION.findall(rest)) - options_of(command)
        assert not unknown, f"{where}: `playbook {name}` has no option {sorted(unknown)}"


def test_the_scenario_parameter_the_handout_sets_exists_in_each_notebook() -> None:
    text = TRAINEE_HANDOUT.read_text(encoding="utf-8")
    assert 'scenario = "' in text and "-p scenario" in text and "-p engagement_dir" in text
    notebooks = Path(__file__).resolve().parents[2] / "notebooks"
    for notebook in {scenario.notebook for scenario in SCENARIOS.values()}:
        source = (notebooks / f"{notebook}.ipynb").read_text(encoding="utf-8")
        assert "scenario: str" in source and "engagement_dir: str" in source, notebook
