import pytest

from tests.e2e.conftest import playbook


def test_compare_shows_only_the_fields_where_teams_differ(tmp_path):
    for team in ("red", "blue"):
        assert playbook("new", team, "--demo", cwd=tmp_path).code == 0
    decisions = tmp_path / "blue" / "decisions.yaml"
    text = decisions.read_text(encoding="utf-8")
    assert "p95_ms: 2500" in text
    decisions.write_text(text.replace("p95_ms: 2500", "p95_ms: 4000"), encoding="utf-8")

    result = playbook("decisions", "compare", "red", "blue", cwd=tmp_path)

    assert result.code == 0, result.stderr
    assert "latency-budget.p95_ms" in result.stdout
    assert "2500" in result.stdout and "4000" in result.stdout
    assert "1 fields differ" in result.stdout


def test_compare_prints_the_teams_words_as_written_even_with_brackets(tmp_path):
    """A team's decision text is printed as typed: '[/interim]' once broke the table."""
    for team in ("red", "blue"):
        assert playbook("new", team, "--demo", cwd=tmp_path).code == 0
    decisions = tmp_path / "blue" / "decisions.yaml"
    text = decisions.read_text(encoding="utf-8")
    owner = "owner: Priya Raman, head of member services"
    assert owner in text
    decisions.write_text(text.replace(owner, "owner: '[TBD] Priya [/interim]'"), encoding="utf-8")

    result = playbook("decisions", "compare", "red", "blue", cwd=tmp_path)

    assert result.code == 0, result.stderr
    assert "[TBD] Priya [/interim]" in result.stdout


@pytest.mark.parametrize("args", [["decisions", "compare", "red", "nowhere"]])
def test_compare_with_a_missing_folder_is_a_one_line_usage_error(tmp_path, args):
    assert playbook("new", "red", "--demo", cwd=tmp_path).code == 0
    result = playbook(*args, cwd=tmp_path)
    assert result.code == 2
    assert "nowhere" in result.stderr and "Traceback" not in result.stderr
