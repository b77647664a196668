"""One way to declare an area's checks and to turn a measurement into a `CheckResult`.

Each gap module declares its checks once, as `Check` constants gathered in an `AreaChecks`
(`CHECKS`); its check functions build results from them, its notebook records them, and the
evidence writer refuses a list that misses or repeats one. Everything a reader of the evidence sees
besides the measurement (title, unit, the expectation, the remedy pattern, the decision it
confirms) is written in the declaration, not at each `return`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from playbook.evidence import CheckResult, Observed, Status


@dataclass(frozen=True)
class Check:
    """A check as its area declares it: `id` is `area.name`, e.g. `failure.no_raw_failures`."""

    id: str
    title: str
    unit: str = ""
    expected: str = ""
    remedy: str | None = None
    decision: str | None = None
    needs: str = ""  # the least it must observe to give a verdict; below it, `error`

    def __post_init__(self) -> None:
        area, dot, name = self.id.partition(".")
        if not (area and dot and name):
            raise ValueError(f"check id {self.id!r} must read area.name")

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    def result(
        self,
        status: Status,
        observed: Observed = None,
        detail: str = "",
        *,
        expected: str | None = None,
        decision: str | None = None,
    ) -> CheckResult:
        """The result of one run of this check; `expected` and `decision` override the declared
        ones where they depend on the engagement (a budget, the decisions in force)."""
        return CheckResult(
            area=self.area,
            id=self.id,
            title=self.title,
            status=status,
            observed=observed,
            expected=self.expected if expected is None else expected,
            unit=self.unit,
            detail=detail,
            remedy=self.remedy,
            decision=self.decision if decision is None else decision,
        )

    def verdict(
        self,
        ok: bool,
        observed: Observed,
        detail: str,
        *,
        otherwise: Status = "fail",
        expected: str | None = None,
        decision: str | None = None,
    ) -> CheckResult:
        """`pass` when `ok`, else `otherwise` (`fail`, or `warn` for a soft miss)."""
        status: Status = "pass" if ok else otherwise
        return self.result(status, observed, detail, expected=expected, decision=decision)

    def not_measured(self, reason: str, *, expected: str | None = None) -> CheckResult:
        """`skip`: the target does not offer what this check needs; `reason` says what would."""
        return self.result("skip", None, reason, expected=expected)

    def could_not_run(self, reason: str, *, expected: str | None = None) -> CheckResult:
        """`error`: the check tried and could not measure (never counted as a pass); the detail
        says what it needed."""
        detail = f"{reason} (it needs {self.needs})" if self.needs else reason
        return self.result("error", None, detail, expected=expected)


@dataclass(frozen=True)
class AreaChecks:
    """An area's checks in the order its notebook shows and records them."""

    area: str
    checks: tuple[Check, ...]
    _by_name: dict[str, Check] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        stray = [check.id for check in self.checks if check.area != self.area]
        if stray:
            raise ValueError(f"checks {stray} are not in area {self.area!r}")
        by_name = {check.id.split(".", 1)[1]: check for check in self.checks}
        if len(by_name) != len(self.checks):
            raise ValueError(f"area {self.area!r} declares a check id twice")
        object.__setattr__(self, "_by_name", by_name)

    def __getitem__(self, name: str) -> Check:
        """The check called `name` (with or without the area prefix)."""
        return self._by_name[name.removeprefix(f"{self.area}.")]

    def __iter__(self) -> Iterator[Check]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(check.id for check in self.checks)

    def ordered(self, results: Iterable[CheckResult]) -> list[CheckResult]:
        """The results in declared order; a missing, unknown or repeated check is a ValueError,
        so a notebook cannot record an area's evidence with a check left out."""
        given = list(results)
        by_id: dict[str, CheckResult] = {}
        for result in given:
            if result.id in by_id:
                raise ValueError(f"{self.area}: check {result.id} is recorded twice")
            by_id[result.id] = result
        unknown = sorted(set(by_id) - set(self.ids))
        missing = [check_id for check_id in self.ids if check_id not in by_id]
        if unknown or missing:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if unknown:
                parts.append(f"not declared {', '.join(unknown)}")
            raise ValueError(f"{self.area}: the checks recorded do not match: {'; '.join(parts)}")
        return [by_id[check_id] for check_id in self.ids]
