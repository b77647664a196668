"""Everything a user wrote, checked before the first notebook runs.

A mistake that would otherwise surface as a traceback inside an executed notebook (a users file
that does not parse, an unknown hardening switch, a token variable that is not set, a hook that
cannot be imported, a log path that names a folder) stops `playbook run` with one line naming the
file, the field and what was expected, and exit status 2, before a run folder is created.

What the notebooks *measure* is left to them: a data source folder that is missing or empty, a
decision that is not made, a target that does not answer are findings with a verdict, not usage
errors.
"""

from __future__ import annotations

import os

from playbook.engagement import Engagement
from playbook.errors import PlaybookError
from playbook.golden import load_golden_set
from playbook.safe_files import FileProblem, read_config
from playbook.sources import EXTENSIONS
from playbook.targets.spec import parse_spec
from playbook.users import UserDirectory


def check_inputs(engagement: Engagement) -> None:
    """Raise PlaybookError for the first mistake in the engagement's files and settings."""
    where = engagement.file
    if engagement.users:
        UserDirectory.load(engagement.resolve(engagement.users))
    if engagement.golden_set:
        load_golden_set(engagement.resolve(engagement.golden_set))
    _check_decisions_file(engagement)
    for index, source in enumerate(engagement.data_sources):
        path = engagement.resolve(source.path)
        wanted = EXTENSIONS.get(source.format, sum(EXTENSIONS.values(), ()))
        if path.is_file() and path.suffix.lower() not in wanted:
            raise PlaybookError(
                f"{where}: field 'data_sources.{index}.path': {path.name} is not a "
                f"{source.format} file (expected {', '.join(wanted)}); name a folder, or a "
                "file of the source's format"
            )
    logs = engagement.target.logs
    if logs and engagement.resolve(logs).is_dir():
        raise PlaybookError(
            f"{where}: field 'target.logs': {engagement.resolve(logs)} is a folder, expected the "
            "JSON-lines log file the target writes"
        )
    _check_target(engagement)


def _check_decisions_file(engagement: Engagement) -> None:
    """The decisions file parses (its fields, made or not, are notebook 01's findings)."""
    from playbook.decisions.files import parse_yaml

    path = engagement.decisions_path
    if not path.exists():
        return
    text = read_config(path, "decisions file", "decisions")
    try:
        parse_yaml(text)
    except FileProblem as exc:
        raise PlaybookError(f"{path}: {exc}") from None


def _check_target(engagement: Engagement) -> None:
    """The target's settings: switches, hooks, the HTTP mapping and every token variable."""
    config = engagement.target
    where = engagement.file
    spec = parse_spec(config.spec)
    if spec.kind == "reference":
        from playbook.reference.switches import Hardening

        try:
            Hardening.preset(spec.value).with_switches(config.switches)
        except PlaybookError as exc:
            reason = str(exc).removeprefix("target.switches: ")
            raise PlaybookError(f"{where}: field 'target.switches': {reason}") from None
    elif config.switches:
        raise PlaybookError(
            f"{where}: field 'target.switches': hardening switches apply to the reference system "
            f"only, not to {spec.text}"
        )
    from playbook.targets.python_callable import load_callable

    for field, hook in (("ingest_hook", config.ingest_hook), ("fault_hook", config.fault_hook)):
        if hook:
            try:
                load_callable(hook, engagement.folder)
            except PlaybookError as exc:
                raise PlaybookError(f"{where}: field 'target.{field}': {exc}") from None
    if spec.kind == "python":
        load_callable(spec.text, engagement.folder)
    if spec.kind == "http":
        from playbook.targets.http import HttpTarget

        HttpTarget(spec.text, config.http, source=where).close()
        auth = config.http.auth if config.http else None
        for user, variable in auth.token_env.items() if auth else ():
            if not os.environ.get(variable):
                raise PlaybookError(
                    f"{where}: field 'target.http.auth.token_env.{user}': environment variable "
                    f"{variable} is not set (expected {user}'s token in it)"
                )
