"""Hardening presets and overrides, and the users file."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbook.errors import PlaybookError
from playbook.reference.switches import SWITCH_HELP, SWITCHES, Hardening
from playbook.users import UserDirectory


def test_prototype_has_every_switch_off_and_production_every_switch_on() -> None:
    assert not any(Hardening.preset("prototype").as_dict().values())
    assert all(Hardening.preset("production").as_dict().values())
    assert Hardening.preset("production").profile == "production"


def test_every_switch_has_one_line_of_help() -> None:
    assert set(SWITCH_HELP) == set(SWITCHES)
    assert all(text and "\n" not in text for text in SWITCH_HELP.values())


def test_with_switches_overrides_one_switch_and_marks_the_profile_custom() -> None:
    hardening = Hardening.preset("production").with_switches({"access_filter": False})
    assert hardening.access_filter is False and hardening.index is True
    assert hardening.profile == "custom"


def test_an_unknown_switch_is_an_error_naming_it() -> None:
    with pytest.raises(PlaybookError, match="'acces_filter'"):
        Hardening.preset("production").with_switches({"acces_filter": False})


def test_an_unknown_profile_is_an_error() -> None:
    with pytest.raises(PlaybookError, match="staging"):
        Hardening.preset("staging")


def test_users_load_with_groups_and_tokens(world: Path) -> None:
    users = UserDirectory.load(world / "users.yaml")
    assert users.get("u-hana").access_groups == {"hr", "all-staff"}
    assert users.by_token("tok-eli").id == "u-eli"
    assert users.by_token("tok-nobody") is None and users.get("u-nobody") is None


def test_a_directory_written_as_a_users_file_reads_back_the_same(world: Path) -> None:
    users = UserDirectory.load(world / "users.yaml")
    assert UserDirectory.from_mapping(users.to_mapping()) == users


def test_a_user_with_an_unknown_group_is_an_error_naming_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("groups: {hr: people}\nusers:\n  - {id: u-a, groups: [hr, legal]}\n")
    with pytest.raises(PlaybookError, match=r"users\.yaml.*users\.0\.groups.*legal"):
        UserDirectory.load(path)


def test_a_user_without_an_id_is_an_error_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("groups: {}\nusers:\n  - {name: Nobody}\n")
    with pytest.raises(PlaybookError, match=r"users\.0\.id"):
        UserDirectory.load(path)
