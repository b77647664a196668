"""The engagement's users and their access groups (a model of users.yaml).

Golden questions are asked as these users, access checks compare what each may see, and the
reference system authenticates them (its demo-only `token`). A team's own service keeps its
tokens out of this file: they come from the environment variables engagement.yaml names.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from playbook.errors import PlaybookError, describe_validation_error
from playbook.safe_files import FileProblem, parse_yaml, read_config

EVERYONE = "all-staff"  # a document in this group is visible to every user


class UserEntry(BaseModel):
    """One user as users.yaml writes it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="the id golden questions and auth settings use")
    name: str = Field(default="", description="display name (redacted from logs in production)")
    role: str = Field(default="", description="what the user does, for readers")
    groups: list[str] = Field(
        default_factory=list, description="access groups beyond all-staff, named under 'groups'"
    )
    token: str = Field(
        default="", description="reference system only: the demo bearer token of this user"
    )


class UsersFile(BaseModel):
    """users.yaml: the access groups and the users."""

    model_config = ConfigDict(extra="forbid")

    groups: dict[str, str] = Field(
        default_factory=dict, description="access group name -> what it is (all-staff is implied)"
    )
    users: list[UserEntry] = Field(default_factory=list, description="every user who asks")


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
        text = read_config(path, "users file", "users")
        try:
            data = parse_yaml(text)
        except FileProblem as exc:
            raise PlaybookError(f"{path}: {exc}") from None
        return cls.from_mapping(data, source=str(path))

    @classmethod
    def from_mapping(cls, data: object, source: str = "users") -> UserDirectory:
        """Build a directory from the parsed YAML; `source` names the file in error messages."""
        if not isinstance(data, dict):
            raise PlaybookError(f"{source}: expected a mapping with 'groups' and 'users'")
        data = {**data, "groups": data.get("groups") or {}, "users": data.get("users") or []}
        try:
            parsed = UsersFile.model_validate(data)
        except ValidationError as exc:
            raise describe_validation_error(source, exc) from None
        groups = parsed.groups
        users = []
        seen: set[str] = set()
        for position, raw in enumerate(parsed.users):
            where = f"{source}: field 'users.{position}"
            if not raw.id.strip():
                raise PlaybookError(f"{where}.id': expected a non-empty string")
            if raw.id in seen:
                raise PlaybookError(f"{where}.id': duplicate user id {raw.id!r}")
            seen.add(raw.id)
            unknown = [g for g in raw.groups if g not in groups and g != EVERYONE]
            if groups and unknown:
                raise PlaybookError(
                    f"{where}.groups': unknown group(s) {unknown}: expected names from 'groups'"
                )
            users.append(
                User(
                    id=raw.id,
                    name=raw.name,
                    role=raw.role,
                    groups=tuple(raw.groups),
                    token=raw.token,
                )
            )
        descriptions = {str(name): str(text or "") for name, text in groups.items()}
        return cls(groups=MappingProxyType(descriptions), users=tuple(users))

    def to_mapping(self) -> dict[str, object]:
        """The directory as users.yaml writes it (what `from_mapping` reads)."""
        return {
            "groups": dict(self.groups),
            "users": [
                {
                    "id": user.id,
                    "name": user.name,
                    "role": user.role,
                    "groups": list(user.groups),
                    "token": user.token,
                }
                for user in self.users
            ],
        }

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
