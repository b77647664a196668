"""The decisions form: ipywidgets bound to `playbook.decisions`, with inline validation.

One tab per decision; each field carries a stable CSS class (`pb-field-<decision>-<field>`) and a
message slot (`pb-msg-<decision>-<field>`) so people and browser tests find it without depending on
the layout. The form validates with the same lenient loader as decisions.yaml, so the messages it
shows are the ones a hand-edited file would get. Save refuses invalid input, keeps the previous file
as a backup and re-renders the decision records.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import ipywidgets as widgets
import yaml

from playbook.decisions import (
    DECISION_STATUSES,
    EVALUATION_CADENCES,
    FAILURE_ACTIONS,
    FAILURE_MODES,
    FILE_FIELD,
    QUERY_PRIVACIES,
    REQUIRED_DECISIONS,
    REQUIRED_TYPES,
    UPDATE_MECHANISMS,
    Decisions,
    DecisionsLoad,
    DecisionsLocation,
    Problem,
    backup_path,
    consistency_checks,
    decisions_from_data,
    load_decisions,
    save_decisions,
    write_records,
)
from playbook.errors import PlaybookError
from playbook.safe_files import FileProblem, parse_yaml

FieldKind = Literal[
    "text", "textarea", "lines", "names", "options", "date", "dropdown", "checkbox",
    "float", "int", "optional_int", "slider", "int_slider", "yaml",
]  # fmt: skip

FORM_CLASS = "pb-decisions-form"
SAVE_CLASS = "pb-save"
LOAD_CLASS = "pb-load"
STATUS_CLASS = "pb-status"
CONSISTENCY_CLASS = "pb-consistency"
EXTRA_KEY = "extra"
SYSTEM_KEY = "system"
TAB_TITLES = {
    "data-location": "Data location",
    "update-cadence": "Freshness",
    "failure-policy": "Failure policy",
    "access-model": "Access model",
    "latency-budget": "Latency budget",
    "observability": "Observability",
    "ownership": "Ownership",
    EXTRA_KEY: "Other decisions",
}
_LABEL_STYLE = {"description_width": "240px"}


@dataclass(frozen=True)
class FieldSpec:
    """One form field: which decision value it edits, how it is shown and its stable CSS class."""

    decision: str  # decision id; "" for top-level fields (system, extra)
    name: str  # field name, dotted for nested values (`policies.timeout`)
    label: str
    kind: FieldKind
    choices: tuple[str, ...] = ()
    bounds: tuple[float, float, float] = (0.0, 1.0, 0.01)  # min, max, step of a slider
    help: str = ""

    @property
    def key(self) -> str:
        """`latency-budget.p95_ms`: the same dotted name the loader's problems use."""
        return f"{self.decision}.{self.name}" if self.decision else self.name

    @property
    def css(self) -> str:
        """`pb-field-latency-budget-p95-ms`."""
        return "pb-field-" + _css(self.key)

    @property
    def message_css(self) -> str:
        return "pb-msg-" + _css(self.key)


def _css(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def _record_fields(decision: str) -> list[FieldSpec]:
    return [
        FieldSpec(decision, "status", "Status", "dropdown", DECISION_STATUSES),
        FieldSpec(decision, "date", "Date (YYYY-MM-DD)", "date"),
        FieldSpec(decision, "deciders", "Decision-makers", "names", help="names, comma-separated"),
        FieldSpec(decision, "context", "Context and problem", "textarea"),
        FieldSpec(decision, "drivers", "Drivers (one per line)", "lines"),
        FieldSpec(decision, "options", "Options (one per line)", "options"),
        FieldSpec(decision, "choice", "Chosen option", "text"),
        FieldSpec(decision, "rationale", "Because", "textarea"),
        FieldSpec(decision, "consequences", "Consequences (one per line)", "lines"),
        FieldSpec(
            decision,
            "confirmed_by",
            "Confirmed by checks",
            "names",
            help="check ids, comma-separated: latency.p95_within_budget, ...",
        ),
    ]


def _topic_fields() -> dict[str, list[FieldSpec]]:
    failure = [
        FieldSpec("failure-policy", f"policies.{mode}", f"On {mode.replace('_', ' ')}", "dropdown",
                  FAILURE_ACTIONS)
        for mode in FAILURE_MODES
    ]  # fmt: skip
    return {
        "data-location": [
            FieldSpec("data-location", "system_of_record", "System of record", "text"),
            FieldSpec("data-location", "location", "Where the source data lives", "text"),
            FieldSpec("data-location", "index_store", "Where the search index lives", "text"),
            FieldSpec("data-location", "residency", "Data residency", "text"),
        ],
        "update-cadence": [
            FieldSpec(
                "update-cadence", "mechanism", "Update mechanism", "dropdown", UPDATE_MECHANISMS
            ),
            FieldSpec("update-cadence", "cadence_hours", "Hours between updates", "float"),
            FieldSpec(
                "update-cadence", "warn_after_hours", "Warn when data is older than (h)", "float"
            ),
            FieldSpec(
                "update-cadence", "error_after_hours", "Error when data is older than (h)", "float"
            ),
        ],  # fmt: skip
        "failure-policy": [
            *failure,
            FieldSpec(
                "failure-policy",
                "target_graceful_share",
                "Target graceful share",
                "slider",
                bounds=(0.5, 1.0, 0.005),
            ),
            FieldSpec(
                "failure-policy",
                "max_retry_amplification",
                "Max retry amplification",
                "slider",
                bounds=(1.0, 5.0, 0.1),
            ),
        ],  # fmt: skip
        "access-model": [
            FieldSpec("access-model", "identity_source", "Identity source", "text"),
            FieldSpec(
                "access-model", "document_groups", "Documents restricted by group", "checkbox"
            ),
            FieldSpec(
                "access-model", "query_privacy", "Query privacy", "dropdown", QUERY_PRIVACIES
            ),
            FieldSpec("access-model", "log_viewers", "Who may see logs", "text"),
        ],  # fmt: skip
        "latency-budget": [
            FieldSpec(
                "latency-budget",
                "p95_ms",
                "p95 end to end (ms)",
                "int_slider",
                bounds=(100, 20_000, 100),
            ),
            FieldSpec("latency-budget", "retrieval_ms", "p95 retrieval (ms)", "int"),
            FieldSpec("latency-budget", "generation_ms", "p95 generation (ms)", "int"),
            FieldSpec(
                "latency-budget",
                "time_to_first_token_ms",
                "First token (ms; 0: not streamed)",
                "optional_int",
            ),
        ],  # fmt: skip
        "observability": [
            FieldSpec("observability", "stack", "Observability stack", "text"),
            FieldSpec(
                "observability",
                "evaluation_cadence",
                "Evaluation cadence",
                "dropdown",
                EVALUATION_CADENCES,
            ),
            FieldSpec(
                "observability",
                "golden_regression_tolerance",
                "Tolerated golden-set score drop",
                "slider",
                bounds=(0.0, 0.3, 0.01),
            ),
        ],  # fmt: skip
        "ownership": [
            FieldSpec("ownership", "owner", "Owner", "text"),
            FieldSpec(
                "ownership", "maintainer_after_handover", "Maintainer after hand-over", "text"
            ),
            FieldSpec("ownership", "handover_date", "Hand-over date (YYYY-MM-DD)", "date"),
            FieldSpec("ownership", "on_call", "On-call rota", "text"),
        ],  # fmt: skip
    }


def form_fields() -> list[FieldSpec]:
    """Every field of the form, in display order (stable: browser tests rely on the classes)."""
    specs = [FieldSpec("", SYSTEM_KEY, "System", "text")]
    for decision_id, topic in _topic_fields().items():
        specs += topic + _record_fields(decision_id)
    specs.append(
        FieldSpec(
            "",
            EXTRA_KEY,
            "Other decisions (YAML list)",
            "yaml",
            help="each item: id (kebab-case), title, status, choice, confirmed_by, ...",
        )
    )
    return specs


def _control(spec: FieldSpec) -> widgets.ValueWidget:
    common: dict[str, Any] = {"description": spec.label, "style": _LABEL_STYLE}
    layout = widgets.Layout(width="760px")
    kind = spec.kind
    if kind in ("textarea", "lines", "options", "yaml"):
        rows = 8 if kind == "yaml" else 3
        control = widgets.Textarea(layout=widgets.Layout(width="760px"), rows=rows, **common)
    elif kind == "dropdown":
        control = widgets.Dropdown(options=list(spec.choices), layout=layout, **common)
    elif kind == "checkbox":
        control = widgets.Checkbox(indent=True, layout=layout, **common)
    elif kind == "float":
        control = widgets.FloatText(layout=widgets.Layout(width="420px"), **common)
    elif kind in ("int", "optional_int"):
        control = widgets.IntText(layout=widgets.Layout(width="420px"), **common)
    elif kind == "slider":
        low, high, step = spec.bounds
        control = widgets.FloatSlider(
            min=low, max=high, step=step, readout_format=".3g", layout=layout, **common
        )
    elif kind == "int_slider":
        low, high, step = spec.bounds
        control = widgets.IntSlider(
            min=int(low), max=int(high), step=int(step), layout=layout, **common
        )
    else:
        control = widgets.Text(placeholder=spec.help, layout=layout, **common)
    if spec.help and hasattr(control, "placeholder"):
        control.placeholder = spec.help
    control.add_class(spec.css)
    return control


def _get(data: Mapping[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    if value is None:
        node.pop(leaf, None)  # absent means "use the default", the same as in the file
    else:
        node[leaf] = value


def _split(text: str, separator: str) -> list[str]:
    return [item.strip() for item in text.split(separator) if item.strip()]


class DecisionsForm:
    """The form bound to one decisions.yaml: display it; Save and Load act on the file."""

    def __init__(
        self,
        path: Path,
        adr_folder: Path | None = None,
        source: Path | None = None,
        latest: Mapping[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.source = Path(source) if source else self.path
        self.adr_folder = Path(adr_folder) if adr_folder else self.path.parent / "adr"
        self.latest = dict(latest or {})
        self.specs = form_fields()
        self._base = Decisions()
        self._filling = False
        self._load_problems: list[Problem] = []
        self.controls: dict[str, widgets.ValueWidget] = {}
        self.messages: dict[str, widgets.HTML] = {}
        for spec in self.specs:
            self.controls[spec.key] = _control(spec)
            self.messages[spec.key] = self._message_widget(spec.message_css)
            self.controls[spec.key].observe(self._changed_handler(spec.key), names="value")
        for decision_id in REQUIRED_DECISIONS:
            self.messages[decision_id] = self._message_widget("pb-msg-" + decision_id)
        self.messages[FILE_FIELD] = self._message_widget("pb-msg-file")
        self.status = widgets.HTML(value="")
        self.status.add_class(STATUS_CLASS)
        self.consistency = widgets.HTML(value="")
        self.consistency.add_class(CONSISTENCY_CLASS)
        self.save_button = widgets.Button(description="Save", button_style="primary", icon="save")
        self.save_button.add_class(SAVE_CLASS)
        self.save_button.on_click(lambda _: self.save())
        self.load_button = widgets.Button(description="Load from file", icon="folder-open")
        self.load_button.add_class(LOAD_CLASS)
        self.load_button.on_click(lambda _: self.load())
        self.widget = self._layout()
        self.load()

    @staticmethod
    def _message_widget(css: str) -> widgets.HTML:
        message = widgets.HTML(value="")
        message.add_class("pb-msg")
        message.add_class(css)
        return message

    def _field_box(self, spec: FieldSpec) -> widgets.VBox:
        return widgets.VBox([self.controls[spec.key], self.messages[spec.key]])

    def _layout(self) -> widgets.VBox:
        pages = []
        by_decision: dict[str, list[FieldSpec]] = {}
        for spec in self.specs:
            by_decision.setdefault(spec.decision or spec.key, []).append(spec)
        for decision_id in (*REQUIRED_DECISIONS, EXTRA_KEY):
            specs = by_decision[decision_id]
            intro = (
                REQUIRED_TYPES[decision_id].__doc__
                if decision_id in REQUIRED_TYPES
                else ("Free-form decisions beyond the required ones, as a YAML list.")
            )
            children: list[widgets.Widget] = [widgets.HTML(f"<p><i>{html.escape(intro)}</i></p>")]
            if decision_id in self.messages:
                children.append(self.messages[decision_id])
            settings = [s for s in specs if s.name not in _RECORD_NAMES or not s.decision]
            record = [s for s in specs if s.name in _RECORD_NAMES and s.decision]
            children += [self._field_box(spec) for spec in settings]
            if record:
                children.append(widgets.HTML("<b>Decision record</b>"))
                children += [self._field_box(spec) for spec in record]
            page = widgets.VBox(children)
            page.add_class("pb-topic-" + decision_id)
            pages.append(page)
        tabs = widgets.Tab(children=pages)
        tabs.titles = tuple(TAB_TITLES[d] for d in (*REQUIRED_DECISIONS, EXTRA_KEY))
        tabs.add_class("pb-tabs")
        where = html.escape(str(self.path))
        header = widgets.HTML(
            f"<b>Architecture decisions</b> — Save writes <code>{where}</code> "
            f"(the previous version is kept as <code>{html.escape(backup_path(self.path).name)}"
            f"</code>) and the records in <code>{html.escape(str(self.adr_folder))}</code>."
        )
        buttons = widgets.HBox([self.save_button, self.load_button])
        form = widgets.VBox(
            [
                header,
                buttons,
                self.status,
                self.consistency,
                self.messages[FILE_FIELD],
                self._field_box(self.specs[0]),
                tabs,
            ]
        )
        form.add_class(FORM_CLASS)
        return form

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- values ---------------------------------------------------------------------------------

    def _fill(self, decisions: Decisions) -> None:
        data = decisions.to_data()
        self._filling = True
        try:
            for spec in self.specs:
                self.controls[spec.key].value = self._shown(spec, data)
        finally:
            self._filling = False

    @staticmethod
    def _shown(spec: FieldSpec, data: Mapping[str, Any]) -> Any:
        value = _get(data, spec.key)
        kind = spec.kind
        if kind == "yaml":
            return yaml.safe_dump(value, sort_keys=False, allow_unicode=True) if value else ""
        if kind == "names":
            return ", ".join(value or [])
        if kind == "lines":
            return "\n".join(value or [])
        if kind == "options":
            return "\n".join(option["name"] for option in value or [])
        if kind == "checkbox":
            return bool(value)
        if kind in ("float", "slider"):
            return float(value or 0.0)
        if kind in ("int", "optional_int", "int_slider"):
            return int(value or 0)
        if kind == "dropdown":
            return value if value in spec.choices else spec.choices[0]
        return "" if value is None else str(value)

    def _read(self, spec: FieldSpec, base: Mapping[str, Any]) -> tuple[Any, Problem | None]:
        value = self.controls[spec.key].value
        kind = spec.kind
        if kind == "names":
            return _split(value, ","), None
        if kind == "lines":
            return _split(value, "\n"), None
        if kind == "options":
            known = {option["name"]: option for option in _get(base, spec.key) or []}
            return [known.get(name, {"name": name}) for name in _split(value, "\n")], None
        if kind == "date":
            return (value.strip() or None), None
        if kind == "optional_int":
            return (value or None), None
        if kind == "text":
            return value.strip(), None
        if kind == "yaml":
            try:
                parsed = parse_yaml(value) if value.strip() else []
            except FileProblem as exc:
                message = f"{exc}; the saved list is kept"
                return _get(base, spec.key), Problem(spec.key, message)
            return parsed, None
        return value, None

    def validate(self) -> tuple[Decisions, list[Problem]]:
        """The form's content as decisions, with one problem per invalid field (as in a file)."""
        base = self._base.to_data()
        data = dict(base)
        problems: list[Problem] = []
        for spec in self.specs:
            value, problem = self._read(spec, base)
            if problem:
                problems.append(problem)
            _set(data, spec.key, value)
        decisions, found = decisions_from_data(data)
        return decisions, problems + found

    # -- messages -------------------------------------------------------------------------------

    def _slot(self, field: str) -> str:
        """Where a problem is shown: its field, else the nearest enclosing one, else the file."""
        candidate = field
        for _ in range(field.count(".") + field.count("[") + 1):
            if candidate in self.messages:
                return candidate
            candidate = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", candidate)
        return FILE_FIELD

    def _show(self, problems: list[Problem]) -> None:
        by_slot: dict[str, list[str]] = {}
        for problem in problems:
            slot = self._slot(problem.field)
            text = (
                problem.message if slot == problem.field else f"{problem.field}: {problem.message}"
            )
            by_slot.setdefault(slot, []).append(text)
        for slot, widget in self.messages.items():
            texts = by_slot.get(slot, [])
            widget.value = "".join(
                f'<div style="color:#b00020">⚠ {html.escape(text)}</div>' for text in texts
            )

    def _refresh(self) -> tuple[Decisions, list[Problem]]:
        decisions, problems = self.validate()
        self._show(self._load_problems + problems)
        failing = [
            check
            for check in consistency_checks(decisions, problems, self.path.name)
            if check.status != "pass"
        ]
        self.consistency.value = "<b>Consistency:</b> " + (
            "".join(
                f"<div>✗ <code>{check.id}</code> ({check.status}): "
                f"{html.escape(check.detail)}</div>"
                for check in failing
            )
            or "every consistency check passes."
        )
        return decisions, problems

    def _changed_handler(self, key: str) -> Any:
        def changed(_change: Mapping[str, Any]) -> None:
            if self._filling:
                return
            self._load_problems = [p for p in self._load_problems if self._slot(p.field) != key]
            self._refresh()

        return changed

    # -- actions --------------------------------------------------------------------------------

    def load(self) -> DecisionsLoad:
        """Fill the form from the saved file (or the engagement's file before the first save)."""
        loaded = load_decisions(self.path if self.path.exists() else self.source)
        self._base = loaded.decisions
        self._fill(loaded.decisions)
        self._load_problems = list(loaded.problems)
        self._refresh()
        count = len(loaded.problems)
        self.status.value = f"Loaded <code>{html.escape(str(loaded.path))}</code>" + (
            f": {count} problem(s); defaults are shown where a value was missing or invalid."
            if count
            else "."
        )
        return loaded

    def save(self) -> list[Path]:
        """Write decisions.yaml (keeping a backup) and the records; nothing when a field is bad."""
        decisions, problems = self._refresh()
        if problems:
            self.status.value = (
                f'<span style="color:#b00020">Not saved: {len(problems)} field(s) need fixing '
                "(see the messages under them).</span>"
            )
            return []
        try:
            save_decisions(decisions, self.path)
            written = write_records(decisions, self.adr_folder, self.latest)
        except PlaybookError as exc:
            self.status.value = f'<span style="color:#b00020">{html.escape(str(exc))}</span>'
            return []
        self._base = decisions
        self._load_problems = []
        self._refresh()
        self.status.value = (
            f"Saved <code>{html.escape(str(self.path))}</code> and {len(written)} decision "
            f"records in <code>{html.escape(str(self.adr_folder))}</code>."
        )
        return [self.path, *written]


_RECORD_NAMES = {spec.name for spec in _record_fields("x")}


def decisions_form(location: DecisionsLocation) -> DecisionsForm:
    """The form for a notebook: reads the engagement's decisions, saves where `location` says."""
    return DecisionsForm(location.path, location.adr, source=location.source)
