"""A run's checks as JUnit XML, the test report every CI server shows (Jenkins, GitLab, GitHub).

The file follows the Apache Ant JUnit schema that Jenkins' JUnit plugin and junitparser go by: a
`<testsuites>` root with one `<testsuite>` per gap area, in playbook order, then one for the gate.
Each check is a `<testcase>` (classname `playbook.<area>`, name `<check id>: <title>`):

- pass and warn are passed test cases (a warn counts half a point in the score, not as a failure
  of the gate); the area's `<system-out>` names every warning;
- fail is a `<failure>` (observed against expected, then the detail and the remedy);
- error is an `<error>`: the check tried and could not measure;
- skip is `<skipped>`, with the reason.

An area with no score gets one test case `<area>.not_measured` that is an `<error>`: the gate never
passes on an unmeasured area. The test case `playbook.gate` fails unless the gate passed.

The schema allows no `<system-out>` inside a test case, so notes on single checks go into their
area's `<system-out>`. Nothing but evidence fields, the scorecard and the pattern catalogue's
remedies is written: no target address, host name or setting.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from junitparser import Attr, Error, Failure, JUnitXml, Skipped, SystemErr, SystemOut, TestCase
from junitparser import TestSuite as _TestSuite

from playbook.atomic import atomic_file
from playbook.errors import PlaybookError
from playbook.evidence import CheckResult, Evidence
from playbook.notebooks import SEQUENCE
from playbook.patterns import pattern
from playbook.scorecard import Scorecard

GATE_SUITE = "playbook"
GATE_CASE = "playbook.gate"
MESSAGE_LIMIT = 500  # characters of a message attribute; the element's text has everything
# Characters XML 1.0 cannot hold at all (control characters other than tab and newlines).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DONE_AREA = "done"  # notebook 07 reads evidence and scores it: its time is the gate's


class _Suite(_TestSuite):
    """A `<testsuite>` inside `<testsuites>`: the Ant schema also wants its package and index."""

    package = Attr()
    id = Attr()


def check_junit_path(path: Path) -> Path:
    """The absolute path the JUnit report will be written to; a PlaybookError naming the path
    when its folder is missing or not writable, or the path is a folder."""
    target = Path(path).expanduser().absolute()
    folder = target.parent
    problem = None
    if target.is_dir():
        problem = "it is a folder"
    elif not folder.is_dir():
        problem = f"the folder {folder} does not exist"
    elif not os.access(folder, os.W_OK | os.X_OK):
        problem = f"the folder {folder} is not writable"
    elif target.exists() and not os.access(target, os.W_OK):
        problem = "the file is not writable"
    if problem:
        raise PlaybookError(f"--junit {path}: cannot write the JUnit report there: {problem}")
    return target


def write_junit(
    run_dir: Path, scorecard: Scorecard, evidence: Iterable[Evidence], path: Path
) -> Path:
    """Write the run's checks as JUnit XML to `path` (atomically) and return it."""
    xml = junit_xml(run_dir, scorecard, evidence)
    path = Path(path)
    try:
        with atomic_file(path, binary=True) as stream:
            xml.write(stream, pretty=True)
    except OSError as exc:
        raise PlaybookError(
            f"{path}: cannot write the JUnit report ({exc.strerror or exc})"
        ) from exc
    return path


def junit_xml(run_dir: Path, scorecard: Scorecard, evidence: Iterable[Evidence]) -> JUnitXml:
    """The JUnit document of a run: a suite per area in playbook order, then the gate's suite."""
    evidence = list(evidence)
    started, seconds = _run_times(Path(run_dir))
    by_area: dict[str, list[Evidence]] = {}
    for item in evidence:
        by_area.setdefault(item.area, []).append(item)
    scores = {area.area: area for area in scorecard.areas}
    areas = [*scores, *(area for area in by_area if area not in scores)]
    reasons = scorecard.unmeasured_reasons
    root = JUnitXml()
    for index, area in enumerate(areas):
        items = by_area.get(area, [])
        checks = [check for item in items for check in item.checks]
        notebooks = {item.notebook for item in items} | _notebooks_of(area)
        suite = _suite(area, index, started, [("area", area), *_area_properties(scores, area)])
        for check in checks:
            suite.append(_check_case(check))
        lines = [_area_line(scores, area), *(_check_line(check) for check in checks)]
        if area in reasons:
            suite.append(_not_measured_case(area, reasons[area]))
            lines.append(f"NOT MEASURED {area}: {reasons[area]}")
        _close(suite, lines, sum(seconds.get(name, 0.0) for name in notebooks))
        root.append(suite)
    gate = _suite(GATE_SUITE, len(areas), started, _gate_properties(scorecard, Path(run_dir)))
    gate.append(_gate_case(scorecard))
    gate_seconds = sum(seconds.get(name, 0.0) for name in _notebooks_of(_DONE_AREA))
    _close(gate, [scorecard.verdict()], gate_seconds)
    root.append(gate)
    return root


def _suite(name: str, index: int, started: str, properties: list[tuple[str, str]]) -> _Suite:
    suite = _Suite(_clean(name))
    suite.package = "playbook"
    suite.id = str(index)
    suite.timestamp = started
    suite.hostname = "localhost"  # the schema wants one; the runner's name is not evidence
    for key, value in properties:
        suite.add_property(key, _clean(value))  # the schema wants <properties> first
    return suite


def _close(suite: _Suite, lines: list[str], seconds: float) -> None:
    """Counts and time from the test cases and the notebooks, then the output the schema ends on."""
    suite.update_statistics()
    suite.time = round(seconds, 3)
    suite.append(SystemOut(_clean("\n".join(lines)) + "\n"))
    suite.append(SystemErr(""))


def _case(name: str, classname: str) -> TestCase:
    return TestCase(_clean(name), _clean(classname), 0.0)


def _check_case(check: CheckResult) -> TestCase:
    """One check as a test case: passed (pass, warn), failure, error or skipped."""
    name = f"{check.id}: {check.title}" if check.title.strip() else check.id
    case = _case(name, f"playbook.{check.area}")
    if check.status == "fail":
        case.result = [_result(Failure, _observed_expected(check), "fail", _explain(check))]
    elif check.status == "error":
        message = f"the check could not run: {check.detail or 'no reason recorded'}"
        case.result = [_result(Error, message, "error", _explain(check))]
    elif check.status == "skip":
        case.result = [_result(Skipped, check.detail or "skipped", "skip", "")]
    return case


def _not_measured_case(area: str, reason: str) -> TestCase:
    """An area in scope without a score: an error, since the gate cannot pass without it."""
    case = _case(f"{area}.not_measured", f"playbook.{area}")
    text = (
        f"{area} has no score: {reason}. The gate stays incomplete while an area in scope is "
        "not measured."
    )
    case.result = [_result(Error, f"not measured: {reason}", "not_measured", text)]
    return case


def _gate_case(scorecard: Scorecard) -> TestCase:
    """The readiness gate as one test case: a failure unless the gate passed."""
    case = _case(GATE_CASE, GATE_SUITE)
    if scorecard.gate != "pass":
        readiness = "not measured" if scorecard.readiness is None else f"{scorecard.readiness:.2f}"
        message = (
            f"gate {scorecard.gate}: readiness {readiness} over {scorecard.coverage_text} "
            f"(coverage {scorecard.coverage:.0%}), needs >= {scorecard.min_readiness:.2f} "
            "in every area in scope"
        )
        lines = [scorecard.verdict()]
        lines += [f"not measured: {a}: {why}" for a, why in scorecard.unmeasured_reasons.items()]
        case.result = [_result(Failure, message, scorecard.gate, "\n".join(lines))]
    return case


def _result(
    kind: type[Failure | Error | Skipped], message: str, type_: str, text: str
) -> Failure | Error | Skipped:
    result = kind(_message(message), type_)
    if text:
        result.text = _clean(text)
    return result


def _observed_expected(check: CheckResult) -> str:
    """`observed X (unit), expected Y`: the line a reader compares first."""
    observed = "nothing" if check.observed is None else _format(check.observed)
    unit = f" ({check.unit})" if check.unit and check.observed is not None else ""
    expected = f", expected {check.expected}" if check.expected else ""
    return f"observed {observed}{unit}{expected}"


def _explain(check: CheckResult) -> str:
    """The detail, then the remedy (from the pattern catalogue) and the decision it confirms."""
    lines = [check.detail] if check.detail else []
    if check.status == "error" and (check.observed is not None or check.expected):
        lines.append(_observed_expected(check))
    if check.remedy:
        known = pattern(check.remedy)
        lines.append(
            f"Remedy: {check.remedy}"
            + (f" ({known.title}): {known.remedy}" if known is not None else "")
        )
    if check.decision:
        lines.append(f"Decision: {check.decision}")
    return "\n".join(lines)


def _check_line(check: CheckResult) -> str:
    """One line of the area's output: status, id, what was measured, and why when not a pass."""
    parts = [f"{check.status.upper():<5} {check.id}"]
    if check.observed is not None or check.expected:
        parts.append(_observed_expected(check))
    if check.status == "warn":
        parts.append("a warning: half a point in the score, reported as passed")
    if check.detail and check.status != "pass":
        parts.append(check.detail)
    return "; ".join(parts)


def _area_line(scores: dict, area: str) -> str:
    score = scores.get(area)
    if score is None or not score.measured:
        return f"Area {area}: not measured"
    counts = ", ".join(f"{status} {n}" for status, n in score.statuses.items() if n)
    return f"Area {area}: score {score.score:.2f} over {score.counted} counted checks ({counts})"


def _area_properties(scores: dict, area: str) -> list[tuple[str, str]]:
    score = scores.get(area)
    if score is None or not score.measured:
        return [("score", "not measured")]
    return [("score", f"{score.score:.4f}")]


def _gate_properties(scorecard: Scorecard, run_dir: Path) -> list[tuple[str, str]]:
    readiness = scorecard.readiness
    return [
        ("run", run_dir.name),
        ("gate", scorecard.gate),
        ("readiness", "not measured" if readiness is None else f"{readiness:.4f}"),
        ("coverage", f"{scorecard.coverage:.4f}"),
        ("min_readiness", f"{scorecard.min_readiness:.4f}"),
        ("level", scorecard.level),
    ]


def _notebooks_of(area: str) -> set[str]:
    return {info.name for info in SEQUENCE if info.area == area}


def _run_times(run_dir: Path) -> tuple[str, dict[str, float]]:
    """The run's start (UTC, no zone, as the schema wants) and each notebook's seconds, from
    run.json; now and nothing when it cannot be read."""
    started = datetime.now(UTC)
    seconds: dict[str, float] = {}
    try:
        data = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if isinstance(data, dict):
        with contextlib.suppress(ValueError):
            started = datetime.fromisoformat(str(data.get("started_at"))).astimezone(UTC)
        for entry in data.get("notebooks") or []:
            if isinstance(entry, dict) and isinstance(entry.get("seconds"), int | float):
                seconds[str(entry.get("name"))] = float(entry["seconds"])
    return started.strftime("%Y-%m-%dT%H:%M:%S"), seconds


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _message(text: str) -> str:
    """An attribute value: one line, at most MESSAGE_LIMIT characters."""
    line = " ".join(_clean(text).split())
    return line if len(line) <= MESSAGE_LIMIT else line[: MESSAGE_LIMIT - 1] + "…"


def _clean(text: str) -> str:
    """Text XML can hold: characters it forbids (a target's stray control bytes) are dropped."""
    return _NOT_XML.sub("", str(text))
