"""The users of the reference system and their access groups (a model of users.yaml)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import yaml

from playbook.errors import PlaybookError

EVERYONE = "all-staff"  # a document in this group is visible to every user


@dataclass(frozen=True)
class User:
    """One user: id, display name, role, access groups and the demo-only token."""

    id: str
    name: str = ""
    role: str = ""
    groups: tuple[str, ...] = ()
    token: str = field(default="", repr=False)

    @property
    def access_groups(self) -> frozenset[str]:
        """The groups whose documents this user may read, `all-staff` included."""
        return frozenset((*self.groups, EVERYONE))


@dataclass(frozen=True)
class UserDirectory:
    """Users and groups; an empty directory knows nobody (every caller is unknown)."""

    groups: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    users: tuple[User, ...] = ()

    @classmethod
    def load(cls, path: Path) -> UserDirectory:
        """Read users.yaml; every problem is a PlaybookError naming the file and the field."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PlaybookError(f"{path}: users file not found") from None
        except OSError as exc:
            raise PlaybookError(f"{path}: cannot read ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise PlaybookError(f"{path}: not valid YAML ({exc})") from None
        return cls.from_mapping(data, source=str(path))

    @classmethod
    def from_mapping(cls, data: object, source: str = "users") -> UserDirectory:
        """Build a directory from the parsed YAML; `source` names the file in error messages."""
        if not isinstance(data, dict):
            raise PlaybookError(f"{source}: expected a mapping with 'groups' and 'users'")
        groups = data.get("groups") or {}
        if not isinstance(groups, dict):
            raise PlaybookError(f"{source}: field 'groups': expected a mapping name -> description")
        raw_users = data.get("users") or []
        if not isinstance(raw_users, list):
            raise PlaybookError(f"{source}: field 'users': expected a list of users")
        users = []
        seen: set[str] = set()
        for position, raw in enumerate(raw_users):
            where = f"{source}: field 'users.{position}"
            if not isinstance(raw, dict):
                raise PlaybookError(f"{where}': expected a mapping with id, name, role, groups")
            user_id = raw.get("id")
            if not isinstance(user_id, str) or not user_id.strip():
                raise PlaybookError(f"{where}.id': expected a non-empty string")
            if user_id in seen:
                raise PlaybookError(f"{where}.id': duplicate user id {user_id!r}")
            seen.add(user_id)
            user_groups = raw.get("groups") or []
            if not isinstance(user_groups, list) or not all(
                isinstance(group, str) for group in user_groups
            ):
                raise PlaybookError(f"{where}.groups': expected a list of group names")
            unknown = [g for g in user_groups if g not in groups and g != EVERYONE]
            if groups and unknown:
                raise PlaybookError(
                    f"{where}.groups': unknown group(s) {unknown}: expected names from 'groups'"
                )
            token = raw.get("token") or ""
            if not isinstance(token, str):
                raise PlaybookError(f"{where}.token': expected a string")
            users.append(
                User(
                    id=user_id,
                    name=str(raw.get("name") or ""),
                    role=str(raw.get("role") or ""),
                    groups=tuple(user_groups),
                    token=token,
                )
            )
        descriptions = {str(name): str(text or "") for name, text in groups.items()}
        return cls(groups=MappingProxyType(descriptions), users=tuple(users))

    def get(self, user_id: str | None) -> User | None:
        """The user with this id, or None for an unknown or missing id."""
        for user in self.users:
            if user.id == user_id:
                return user
        return None

    def by_token(self, token: str | None) -> User | None:
        """The user holding this token (compared in constant time), or None."""
        if not token:
            return None
        for user in self.users:
            if user.token and hmac.compare_digest(user.token.encode(), token.encode()):
                return user
        return None

    @property
    def known_groups(self) -> frozenset[str]:
        """Every group a document may name: the declared ones and `all-staff`."""
        return frozenset((*self.groups, EVERYONE))
