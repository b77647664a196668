"""The `playbook` command: new, run, report, status, serve."""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from playbook.engagement import (
    DEMO_TEMPLATE,
    ENGAGEMENT_TEMPLATES,
    create_engagement,
    load_engagement,
)
from playbook.errors import PlaybookError

if TYPE_CHECKING:
    from playbook.scorecard import Scorecard

DEMO_FOLDER = Path("demo-engagement")
STATUS_STYLE = {
    "ok": "green",
    "failed": "red",
    "skipped": "yellow",
    "pass": "green",
    "fail": "red",
    "incomplete": "yellow",
    "error": "magenta",
}
STATUSES = ("pass", "warn", "fail", "error", "skip")


def _engagement_folder(folder: Path | None, console: Console) -> Path:
    """The folder given, or the demo engagement in the current folder, created on first use."""
    if folder is not None:
        return folder
    if not (DEMO_FOLDER / "engagement.yaml").is_file():
        create_engagement(DEMO_FOLDER, force=True, template=DEMO_TEMPLATE)
        console.print(
            f"Created the demo engagement in ./{DEMO_FOLDER} (from templates/engagement)."
        )
    return DEMO_FOLDER


def print_scorecard(console: Console, scorecard: Scorecard) -> None:
    """The scorecard as a table (unmeasured areas grey), the verdict, why an area is missing."""
    table = Table(title="Readiness scorecard", show_lines=False)
    for column in ("area", "score", "checks", *STATUSES):
        table.add_column(column, justify="left" if column == "area" else "right")
    for area in scorecard.areas:
        counts = [str(area.statuses.get(status, 0)) for status in STATUSES]
        if area.measured:
            table.add_row(area.area, f"{area.score:.2f}", str(area.counted), *counts)
        else:
            table.add_row(area.area, "-", str(area.counted), *counts, style="grey50")
    console.print(table)
    readiness = scorecard.readiness
    shown = "not measured" if readiness is None else f"{readiness:.2f}"
    style = STATUS_STYLE[scorecard.gate]
    console.print(
        f"Readiness [bold]{shown}[/bold] over {scorecard.coverage_text} ({scorecard.level}); "
        f"gate >= {scorecard.min_readiness:.2f} in every area: [{style}]{scorecard.gate}[/{style}]"
    )
    for area, reason in scorecard.unmeasured_reasons.items():
        console.print(f"  [grey50]not measured: {area}: {escape(reason)}[/grey50]")


def stop_on_sigterm() -> list[int]:
    """Make SIGTERM (a CI job's timeout, `kill`) stop like Ctrl+C: kernels stopped, what
    finished recorded. The list it returns gets the signal number once one arrived."""
    received: list[int] = []

    def terminate(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, terminate)
    return received


def print_open_checks(console: Console, run_dir: Path, limit: int = 12) -> None:
    """The checks that failed or could not run, worst first: what to work on next."""
    from playbook.evidence import read_run_evidence

    order = {"fail": 0, "error": 1}
    checks = sorted(
        (
            check
            for item in read_run_evidence(run_dir)
            for check in item.checks
            if check.status in order
        ),
        key=lambda check: (order[check.status], check.id),
    )
    if not checks:
        return
    console.print(f"Open checks ({len(checks)}, worst first; the report has them all):")
    for check in checks[:limit]:
        style = STATUS_STYLE.get(check.status, "magenta")
        detail = check.detail if len(check.detail) <= 300 else check.detail[:299] + "…"
        console.print(f"  [{style}]{check.status:>5}[/{style}] {check.id}: {escape(detail)}")
    if len(checks) > limit:
        console.print(f"  ... and {len(checks) - limit} more")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gap-playbook")
def cli() -> None:
    """The gap playbook: measure what stands between your AI demo and production."""


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Write into a folder that is not empty.")
@click.option(
    "--template",
    type=click.Choice(sorted(ENGAGEMENT_TEMPLATES)),
    default=None,
    help="client (the default; demo for a --team): a blank engagement to fill in; demo: the "
    "bundled demo; python-docs: the Python documentation as a real corpus (needs Debian's "
    "python3.11-doc).",
)
@click.option("--demo", is_flag=True, help="Same as --template demo.")
@click.option(
    "--team",
    metavar="NAME",
    help="Workshops: FOLDER is the workshop, and this team's engagement goes in FOLDER/NAME "
    "(the demo unless --template says otherwise).",
)
def new(folder: Path, force: bool, template: str | None, demo: bool, team: str | None) -> None:
    """Create an engagement folder: a new client's (placeholders to replace), the demo, or the
    Python documentation as a real corpus."""
    if team is not None:
        from playbook.teams import team_folder

        source = "demo" if demo or template is None else template
        folder = team_folder(folder, team)
        create_engagement(folder, force=force, template=ENGAGEMENT_TEMPLATES[source])
        click.echo(
            f"Created team {team}'s engagement in {folder}/ — compare the teams with: "
            f"playbook compare {shlex.quote(str(folder.parent))}"
        )
        return
    template = "demo" if demo else template or "client"
    create_engagement(folder, force=force, template=ENGAGEMENT_TEMPLATES[template])
    if template == "demo":
        click.echo(
            f"Created the demo engagement in {folder}/ — run it: "
            f"playbook run {shlex.quote(str(folder))}"
        )
        return
    if template == "python-docs":
        corpus = load_engagement(folder).resolved_sources()[0].path
        missing = (
            ""
            if Path(corpus).is_dir()
            else (
                f" Its pages are not installed yet ({corpus}): sudo apt-get install python3.11-doc"
                " (or make corpus)."
            )
        )
        click.echo(
            f"Created the Python docs engagement in {folder}/.{missing} Then: playbook run "
            f"{shlex.quote(str(folder))}"
        )
        return
    click.echo(
        f"Created {folder}/ for a new client. Replace the REPLACE lines of engagement.yaml, "
        f"users.yaml and golden.jsonl (templates/formats.md explains every field), decide in "
        f"decisions.yaml or notebook 01, then: playbook run {shlex.quote(str(folder))}"
    )


@cli.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
def schema(folder: Path | None) -> None:
    """Write the JSON Schema of the engagement, decisions, users and golden-set files."""
    from playbook.schemas import SCHEMA_FOLDER, write_schemas

    target = Path(folder) if folder else Path(SCHEMA_FOLDER)
    for path in write_schemas(target):
        click.echo(str(path))


class _OneLineUsageError(click.ClickException):
    """A usage mistake found while reading the options: one line, as `main` prints a
    PlaybookError, and exit status 2 (click's own usage errors print the usage too)."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"playbook: error: {' '.join(self.format_message().split())}", err=True)


def _junit_option(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """`--junit FILE` as an absolute path, checked before anything runs or is created."""
    from playbook.junit import check_junit_path

    if value is None:
        return None
    try:
        return check_junit_path(value)
    except PlaybookError as exc:
        raise _OneLineUsageError(str(exc)) from exc


def _write_junit(console: Console, run_dir: Path, scorecard: Scorecard, path: Path) -> None:
    """Write the run's JUnit report; a file that cannot be written is a PlaybookError (exit 2)."""
    from playbook.evidence import read_run_evidence
    from playbook.junit import write_junit

    write_junit(run_dir, scorecard, read_run_evidence(run_dir), path)
    console.print(f"JUnit report: {escape(str(path))}")


@cli.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--target", "target_spec", help="Target spec, overriding engagement.yaml.")
@click.option("--depth", type=click.Choice(["quick", "standard", "thorough"]), help="Run depth.")
@click.option("--only", help="Comma-separated notebooks to run, e.g. 02,04 (07 always runs).")
@click.option(
    "--jobs",
    type=click.IntRange(1, 8),
    help="Notebooks run at once (those that only need the decisions); default: one more than "
    "the cores, two to four.",
)
@click.option(
    "--timeout",
    default=600,
    show_default=True,
    type=click.IntRange(1),
    help="Seconds any one notebook cell may run.",
)
@click.option("--kernel", help="Jupyter kernel name (default: playbook, else python3).")
@click.option(
    "--gate",
    "strict_gate",
    is_flag=True,
    help="CI gate: also exit 1 when any check could not run (status error).",
)
@click.option(
    "--junit",
    "junit_path",
    metavar="FILE",
    type=click.Path(path_type=Path),
    callback=_junit_option,
    help="Write the checks as JUnit XML to FILE (for a CI's test report), whatever the gate.",
)
def run(folder, target_spec, depth, only, jobs, timeout, kernel, strict_gate, junit_path) -> None:
    """Run the notebook sequence on an engagement; exit 0 when the readiness gate is met."""
    # imported here: papermill and nbformat take a second, which every other command spares
    from playbook.run_display import RunDisplay
    from playbook.runner import (
        SCOPE_NOTEBOOK,
        RunInterrupted,
        RunOptions,
        default_jobs,
        run_playbook,
    )

    console = Console(soft_wrap=True)
    engagement = load_engagement(_engagement_folder(folder, console))
    engagement = engagement.with_overrides(target__spec=target_spec, depth=depth)
    only_list = [part for part in (only or "").split(",") if part.strip()] or None
    console.print(
        f"Running [bold]{engagement.name}[/bold] against {escape(engagement.target.spec)} "
        f"at depth {engagement.depth}"
    )
    terminated = stop_on_sigterm()
    try:
        with RunDisplay(console) as display:
            result = run_playbook(
                engagement,
                RunOptions(
                    only=only_list,
                    jobs=jobs or default_jobs(),
                    cell_timeout_s=timeout,
                    kernel_name=kernel,
                    monitor=display,
                ),
            )
    except RunInterrupted as stop:
        console.print(
            "[yellow]Interrupted.[/yellow] What finished is recorded in "
            + escape(str(stop.run_dir))
        )
        if junit_path is not None:  # a CI job's timeout still gets what finished
            from playbook.runner import score_run

            try:
                card = score_run(stop.run_dir, engagement)
                _write_junit(console, stop.run_dir, card, junit_path)
            except PlaybookError as exc:
                console.print(f"[red]No JUnit report:[/red] {escape(str(exc))}")
        sys.exit(143 if terminated else 130)
    if result.stopped:
        console.print(
            f"[red]Stopped after {SCOPE_NOTEBOOK}:[/red] {escape(result.stopped)}. Fix the target "
            "or its "
            "settings in engagement.yaml, then run again."
        )
    print_scorecard(console, result.scorecard)
    print_open_checks(console, result.run_dir)
    if result.report:
        console.print(f"Report: {escape(str(result.report))}")
    else:
        console.print(f"[red]No report:[/red] {escape(str(result.report_error))}")
    if result.failed:
        console.print(
            f"[red]{len(result.failed)} notebook(s) failed[/red]; see "
            f"{escape(str(result.run_dir))}/notebooks/"
        )
    console.print(f"Run folder: {escape(str(result.run_dir))}  ({result.seconds:.1f} s)")
    if junit_path is not None:
        _write_junit(console, result.run_dir, result.scorecard, junit_path)
    errors = sum(area.statuses.get("error", 0) for area in result.scorecard.areas)
    if strict_gate and errors and result.exit_code == 0:
        console.print(f"[red]--gate:[/red] {errors} check(s) could not run (error): exit 1")
        sys.exit(1)
    sys.exit(result.exit_code)


def _runs(folder: Path) -> list[Path]:
    runs = folder / "runs"
    return sorted(p for p in runs.iterdir() if (p / "run.json").is_file()) if runs.is_dir() else []


def _run_folder(location: Path | None, console: Console) -> Path:
    """A run folder given directly, or the latest run of an engagement folder."""
    location = location or _engagement_folder(None, console)
    if (location / "run.json").is_file():
        return location
    runs = _runs(location)
    if not runs:
        raise PlaybookError(
            f"{location}: no runs yet (start one with `playbook run {shlex.quote(str(location))}`)"
        )
    return runs[-1]


@cli.command("compare")
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
def compare_teams_command(folders: tuple[Path, ...]) -> None:
    """Teams side by side: a workshop folder (every team in it) or team folders; their
    decisions where they differ, their latest scores and their next steps."""
    from playbook.teams import compare_teams, team_folders

    teams = team_folders(folders[0]) if len(folders) == 1 else list(folders)
    comparison = compare_teams(teams)
    console = Console(soft_wrap=True)
    differing = comparison.decisions
    if "differs" in differing.columns:
        differing = differing[differing["differs"]].drop(columns="differs")
    for title, frame in (
        ("Decisions where the teams differ", differing),
        ("Latest scores", comparison.scores),
        ("Next steps", comparison.next_steps),
    ):
        console.print(f"\n[bold]{title}[/bold]")
        console.print(frame.to_string() if len(frame) else "(none)", markup=False)


@cli.command()
@click.argument("location", required=False, type=click.Path(path_type=Path))
@click.option("--pdf", is_flag=True, help="Also print report.pdf through Debian's Chromium.")
def report(location: Path | None, pdf: bool) -> None:
    """Write report.html for a run folder (or the latest run of an engagement)."""
    from playbook.report import build_report, print_pdf

    path = build_report(_run_folder(location, Console(soft_wrap=True)))
    click.echo(f"Report: {path}")
    if pdf:
        click.echo(f"PDF: {print_pdf(path)}")


@cli.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
def status(folder: Path | None) -> None:
    """The last run's scorecard, and one line per earlier run."""
    from playbook.history import changes_since_last, run_history
    from playbook.runner import score_run

    console = Console(soft_wrap=True)
    folder = _engagement_folder(folder, console)
    engagement = load_engagement(folder)
    runs = _runs(folder)
    if not runs:
        raise PlaybookError(
            f"{folder}: no runs yet (start one with `playbook run {shlex.quote(str(folder))}`)"
        )
    print_scorecard(console, score_run(runs[-1], engagement))
    console.print(f"Latest run: {runs[-1].name}")
    history = run_history(folder)
    changes = changes_since_last(history)
    if len(history) > 1 and len(changes):
        console.print("Since the previous run:")
        for area, row in changes.iterrows():
            before, now = (
                "-" if value is None or value != value else f"{value:.2f}"
                for value in (row["previous"], row["this"])
            )
            console.print(
                f"  {area:<14} {before:>5} -> {now:<5} {escape(str(row['what changed']))}"
            )
    console.print("Every run, newest first:")
    for _, row in history.iloc[::-1].iterrows():
        readiness = row["readiness"]
        shown = f"{readiness:.2f}" if isinstance(readiness, float | int) else "  - "
        problem = f"  ({row['problem']})" if row.get("problem") else ""
        console.print(
            f"  {row['run']}  {str(row['target'] or '?'):<22} readiness {shown}  "
            f"gate {row['gate'] or 'unfinished':<10}{problem}",
            markup=False,
        )


@cli.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option(
    "--profile",
    default="production",
    show_default=True,
    type=click.Choice(["prototype", "production"]),
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--parse-cache",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep parsed files in this SQLite file, shared with other systems reading the same "
    "files (a run's served copies use their run's).",
)
def serve(
    folder: Path | None, profile: str, host: str, port: int, parse_cache: Path | None
) -> None:
    """Serve the reference system over HTTP with token auth (data and users from the engagement)."""
    from playbook.targets.reference import serve_engagement

    engagement = load_engagement(folder or DEMO_TEMPLATE)
    serve_engagement(engagement, profile, host=host, port=port, parse_cache=parse_cache)


@cli.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--users", type=int, help="Simulated users in all (default: load.users).")
@click.option("--spawn-rate", type=float, help="Users started per second (load.spawn_rate).")
@click.option("--time", "run_time", type=float, help="Seconds the load runs (load.run_time_s).")
@click.option("--workers", type=int, help="Locust worker processes here, 0: one (load.workers).")
@click.option("--host", help="Base URL of the target, e.g. http://10.0.0.5:8080.")
@click.option(
    "--locustfile-only",
    is_flag=True,
    help="Write load/locustfile.py and print how to run it on several machines.",
)
def load(folder, users, spawn_rate, run_time, workers, host, locustfile_only) -> None:
    """Drive the target with Locust (the scale-out path of notebook 04): writes
    DIR/load/locustfile.py, runs it headless and records its statistics in DIR/load/.
    Exit 0 when every request succeeded, 1 when some failed or the run is not valid."""
    import os
    import tempfile
    from datetime import UTC, datetime

    from playbook.atomic import write_json_atomic, write_text_atomic
    from playbook.load import SUMMARY_COLUMNS
    from playbook.runner import new_run_id
    from playbook.scaleout import (
        LOCUSTFILE,
        check_reachable,
        distributed_commands,
        missing_tokens,
        normalise_host,
        read_locust_failures,
        reference_tokens,
        run_locust,
        tokenless_askers,
        write_locustfile,
    )

    console = Console(soft_wrap=True)
    engagement = load_engagement(_engagement_folder(folder, console))
    engagement = engagement.with_overrides(
        load__users=users,
        load__spawn_rate=spawn_rate,
        load__run_time_s=run_time,
        load__workers=workers,
    )
    settings = engagement.load
    chosen_host = normalise_host(host) if host else None
    out = engagement.folder / "load"
    locustfile = out / LOCUSTFILE
    plan = write_locustfile(engagement, locustfile)
    base = chosen_host or plan.host
    serve_first = (
        f": start the reference system first: playbook serve {engagement.folder} "
        f"--profile {plan.spec.split(':', 1)[1]}"
        if plan.kind == "reference"
        else ""
    )
    console.print(
        f"Wrote {locustfile} ({len(plan.questions)} golden questions, {plan.spec})", markup=False
    )
    if tokenless := tokenless_askers(plan):
        console.print(
            f"Note: {', '.join(tokenless)} ask without a token in {engagement.users}: the "
            "production profile of playbook serve refuses their questions (HTTP 401), its "
            "prototype answers them; give each a token there (demo only) to load production.",
            markup=False,
        )
    if locustfile_only:
        master, worker = distributed_commands(
            locustfile, base, settings, stop_timeout_s=plan.timeout_s
        )
        console.print("Run it on several machines (copy the file to each):", markup=False)
        console.print(f"  master:      {master}", markup=False)
        console.print(f"  each worker: {worker}", markup=False)
        if plan.token_variables:
            what = "token from the users file" if plan.kind == "reference" else "API token"
            console.print(
                f"  tokens: on every worker set {', '.join(plan.token_variables)} "
                f"(each user's {what})",
                markup=False,
            )
        if serve_first:
            console.print(f"  {serve_first[2:]}", markup=False)
        return
    tokens = reference_tokens(engagement, plan)
    unset = missing_tokens(plan, {**os.environ, **tokens})
    if unset:
        raise PlaybookError(
            f"{engagement.file}: field 'target.http.auth.token_env': environment variable(s) "
            f"{', '.join(unset)} not set (expected each user's API token in it)"
        )
    check_reachable(base, serve_first)
    shown = f"{settings.workers} worker(s)" if settings.workers else "one process"
    console.print(
        f"Locust: {settings.users} users, {settings.spawn_rate:g}/s, {settings.run_time_s:g} s, "
        f"{shown}, against {base}",
        markup=False,
    )
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="playbook-locust-") as scratch:
        prefix = Path(scratch) / "run"
        timeout = settings.run_time_s + plan.timeout_s + 60 + (2 * 30 if settings.workers else 0)
        rows = run_locust(
            locustfile, base, settings, prefix, timeout, env=tokens, stop_timeout_s=plan.timeout_s
        )
        failures = read_locust_failures(prefix)
        stats_text = Path(f"{prefix}_stats.csv").read_text(encoding="utf-8")
    run_id = new_run_id(started)
    stats_path = write_text_atomic(out / f"{run_id}-stats.csv", stats_text)
    summary_path = write_json_atomic(
        out / f"{run_id}-summary.json",
        {
            "engagement": engagement.name,
            "target": plan.spec,
            "host": base,
            "started_at": started.isoformat(),
            "settings": settings.model_dump(),
            "rows": rows,
            "failures": [{"reason": reason, "count": count} for reason, count in failures],
        },
    )
    table = Table(title="Locust load")
    table.add_column("measure")
    for row in rows:
        table.add_column(str(row["source"]), justify="right")
    for column in SUMMARY_COLUMNS[1:]:
        table.add_row(column, *(_load_cell(column, row[column]) for row in rows))
    console.print(table)
    for reason, count in failures[:8]:
        console.print(f"  [red]{count:>6}[/red] {escape(reason)}", highlight=False)
    console.print(f"Statistics: {stats_path}\nRows: {summary_path}", markup=False)
    ok = all(row["valid"] and not row["errors"] for row in rows)
    sys.exit(0 if ok else 1)


def _load_cell(column: str, value: object) -> str:
    """One cell of the load table: rates as %, times to 0.1 ms, nothing measured as '-'."""
    if value is None:
        return "-"
    if column == "error_rate":
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.1f}" if column.endswith("_ms") else f"{value:g}"
    return str(value)


@cli.group()
def decisions() -> None:
    """Architecture decisions: compare several teams' decisions side by side."""


@decisions.command("compare")
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--all", "show_all", is_flag=True, help="Show fields where every team agrees too.")
def compare(folders: tuple[Path, ...], show_all: bool) -> None:
    """Show the decisions of several engagement folders side by side, differences first."""
    from playbook.decisions import compare_decisions

    frame = compare_decisions(list(folders))
    shown = frame if show_all else frame[frame["differs"]]
    table = Table(
        title=f"Decisions of {len(folders)} teams" + ("" if show_all else ": differences")
    )
    table.add_column("decision field")
    teams = [column for column in frame.columns if column != "differs"]
    for team in teams:
        table.add_column(team)
    for field, row in shown.iterrows():
        style = "bold yellow" if row["differs"] else None
        # the teams' own words: a "[TBD]" stays, a "[/draft]" cannot break the table
        table.add_row(escape(str(field)), *(escape(str(row[team])) for team in teams), style=style)
    console = Console(soft_wrap=True)
    console.print(table)
    agreed = len(frame) - int(frame["differs"].sum())
    console.print(f"{int(frame['differs'].sum())} fields differ, {agreed} agree.")


@cli.group()
def baseline() -> None:
    """The golden-set evaluation later runs are compared with (notebook 05)."""


def _print_aggregates(
    console: Console, aggregates: dict[str, float | None], counts: dict[str, int], k: int
) -> None:
    """An evaluation's aggregates as a table: metric, mean, questions measured."""
    from playbook.evaluation import metric_label

    table = Table(title=f"Golden-set evaluation (k={k})")
    for column in ("metric", "mean", "questions"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for metric, mean in aggregates.items():
        shown = "-" if mean is None else f"{mean:.3f}"
        table.add_row(metric_label(metric, k), shown, str(counts[metric]))
    console.print(table)


@baseline.command("accept")
@click.argument("location", metavar="[RUN]", required=False, type=click.Path(path_type=Path))
def baseline_accept(location: Path | None) -> None:
    """Accept a run's golden-set evaluation as the baseline.

    RUN is a run folder, or an engagement folder meaning its latest run that has an
    evaluation.json (default: ./demo-engagement)."""
    from playbook.evaluation import accept_baseline, baseline_path, find_evaluated_run

    engagement, run_dir = find_evaluated_run(location or DEMO_FOLDER)
    accepted = accept_baseline(engagement, run_dir)
    console = Console(soft_wrap=True)
    console.print(
        f"Accepted run {accepted.run_id} (evaluated {accepted.created_at or 'at an unknown time'}"
        f", {len(accepted.questions)} questions, k={accepted.k}, target "
        f"{accepted.target or '?'}) as the baseline: {baseline_path(engagement)}",
        highlight=False,
    )
    _print_aggregates(console, accepted.aggregates, accepted.counts, accepted.k)


@baseline.command("show")
@click.argument("folder", metavar="[DIR]", required=False, type=click.Path(path_type=Path))
def baseline_show(folder: Path | None) -> None:
    """Show the accepted baseline: its run, dates and aggregates."""
    from playbook.evaluation import baseline_path, load_baseline

    folder = folder or DEMO_FOLDER
    accepted = load_baseline(folder)
    if accepted is None:
        raise PlaybookError(
            f"{baseline_path(folder)}: no baseline accepted yet (accept a run's evaluation with "
            f"`playbook baseline accept {folder}`)"
        )
    console = Console(soft_wrap=True)
    console.print(
        f"Baseline: run {accepted.run_id}, evaluated {accepted.created_at or '?'}, accepted "
        f"{accepted.accepted_at or '?'}, target {accepted.target or '?'}, "
        f"{len(accepted.questions)} questions, k={accepted.k}, golden set "
        f"{accepted.golden_hash[:19]}",
        highlight=False,
    )
    _print_aggregates(console, accepted.aggregates, accepted.counts, accepted.k)


DOCTOR_STYLE = {"ok": "green", "problem": "red", "warning": "yellow"}


@cli.command()
@click.option("--quick", is_flag=True, help="Skip the slow check that starts JupyterLab.")
def doctor(quick: bool) -> None:
    """Check this machine before a workshop: Python, packages, the playbook kernel, the
    notebooks, the reference system, JupyterLab, a browser and disk space. One line per check
    with its fix; exit 0 when everything the playbook needs is there, 1 otherwise."""
    import time

    from rich.text import Text

    from playbook.doctor import run_doctor, summary

    console = Console(soft_wrap=True, highlight=False)
    started = time.monotonic()
    results = []
    for result in run_doctor(quick=quick):
        results.append(result)
        line = Text(f"{result.verdict:<8}", style=DOCTOR_STYLE[result.verdict])
        line.append(f" {result.name:<11} {result.detail.rstrip('.')}")
        if not result.ok and result.fix:
            line.append(". Fix: ", style="bold")
            line.append(result.fix)
        console.print(line)
    code, closing = summary(results, time.monotonic() - started, quick)
    console.print(Text(closing, style="bold"))
    sys.exit(code)


@cli.command()
@click.argument("folder", metavar="[DIR]", required=False, type=click.Path(path_type=Path))
@click.option(
    "--port",
    default=8888,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port on 127.0.0.1 (a free one when it is taken).",
)
@click.option("--no-browser", is_flag=True, help="Only print the URL; open no browser.")
def lab(folder: Path | None, port: int, no_browser: bool) -> None:
    """Start JupyterLab for an engagement (default ./demo-engagement, created on first use):
    the repository as its root, the playbook kernel for new notebooks, on 127.0.0.1 until
    Ctrl+C."""
    import os
    import secrets
    import subprocess

    from jupyter_client.kernelspec import KernelSpecManager

    from playbook.doctor import (
        KERNEL_NAME,
        LAB_DEFAULT_URL,
        free_port,
        kernel_install_command,
        lab_argv,
        port_is_free,
        stop_process_group,
        wait_for_lab,
    )
    from playbook.engagement import REPO_ROOT

    console = Console(soft_wrap=True, highlight=False)
    engagement = load_engagement(_engagement_folder(folder, console))
    kernel = KERNEL_NAME
    if KERNEL_NAME not in KernelSpecManager().find_kernel_specs():
        kernel = "python3"
        console.print(
            f"No Jupyter kernel named {KERNEL_NAME!r}: new notebooks get python3. Register it: "
            f"{kernel_install_command()}",
            markup=False,
        )
    if not port_is_free(port):
        taken, port = port, free_port()
        console.print(f"Port {taken} is taken: using {port}.")
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)
    from playbook.context import ENGAGEMENT_ENV

    environment = {**os.environ, "JUPYTER_TOKEN": token}
    environment[ENGAGEMENT_ENV] = str(engagement.folder.resolve())
    environment.pop("JUPYTER_TOKEN_FILE", None)
    base = f"http://127.0.0.1:{port}"
    terminated = stop_on_sigterm()
    console.print(f"Starting JupyterLab on {base} (its log follows) ...")
    process = subprocess.Popen(
        lab_argv(port, kernel=kernel, open_browser=not no_browser),
        cwd=REPO_ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl+C reaches only us; we stop it with its kernels
    )
    try:
        problem = wait_for_lab(process, base, token, timeout_s=120)
        if problem is not None:
            console.print(f"[yellow]{escape(problem)}[/yellow]")
        else:
            folder_shown = engagement.folder.resolve()
            console.print(
                f"\nJupyterLab is ready: {base}{LAB_DEFAULT_URL}?token={token}", style="bold"
            )
            console.print(
                f"Notebooks measure engagement {engagement.name} ({folder_shown}) unless their "
                "engagement_dir parameter names another.",
                markup=False,
            )
            if not folder_shown.is_relative_to(REPO_ROOT):
                console.print(
                    f"{folder_shown} is outside the lab's root ({REPO_ROOT}): the notebooks "
                    "read it by its path, the file browser cannot show it.",
                    markup=False,
                )
            console.print("Ctrl+C stops JupyterLab and its kernels.")
        process.wait()
    except KeyboardInterrupt:
        console.print("\nStopping JupyterLab ...")
    finally:
        try:
            stop_process_group(process)
        except KeyboardInterrupt:  # a second Ctrl+C: stop it now
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if terminated:
        sys.exit(143)
    sys.exit(0 if process.returncode in (0, -signal.SIGTERM) else 1)


def main() -> None:
    """Entry point: user mistakes become one line on stderr and exit status 2."""
    try:
        cli.main(standalone_mode=False)
    except PlaybookError as exc:
        click.echo(f"playbook: error: {' '.join(str(exc).split())}", err=True)  # one line
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("playbook: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except SystemExit:
        raise


if __name__ == "__main__":
    main()
