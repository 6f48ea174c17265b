"""Docker-dialect .env files, read directly, remembering where every value came from.

Later files win over earlier ones, and a variable already set in the shell wins over every file
(as `docker run --env-file` with `-e`). Values are taken literally (no `${VAR}` expansion, so a
`$` in a password stays a `$`); quotes around a value are tolerated and removed. Each value keeps
its origin (file and line, the shell, or the option's default) so errors and `show-config` can
say where to fix it.
"""

from __future__ import annotations

import io
import os
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv.parser import parse_stream

from trade_executor.errors import ConfigurationError


@dataclass(frozen=True)
class Origin:
    """Where a value came from: ``file`` (path and line), ``shell`` or ``default``."""

    kind: str
    path: Path | None = None
    line: int | None = None

    def __str__(self) -> str:
        """The short form show-config prints: ``secret.env:3``, ``shell``, ``default``."""
        return f"{self.path}:{self.line}" if self.kind == "file" else self.kind

    def describe(self) -> str:
        """The form an error message uses: ``in secret.env line 3`` or ``set in the shell``."""
        if self.kind == "file":
            return f"in {self.path} line {self.line}"
        return "set in the shell" if self.kind == "shell" else "the default"


SHELL = Origin("shell")
DEFAULT = Origin("default")


@dataclass(frozen=True)
class FileEntry:
    name: str
    value: str
    origin: Origin


@dataclass
class LoadedEnvironment:
    """What the files gave and what the shell already had, for provenance and typo warnings."""

    entries: list[FileEntry] = field(default_factory=list)  # every assignment in every file, in order
    shell_names: frozenset[str] = frozenset()

    def file_origin(self, name: str) -> Origin | None:
        """The file line whose value is in effect (the last one), or None."""
        for entry in reversed(self.entries):
            if entry.name == name:
                return entry.origin
        return None

    def origin_of(self, name: str, environ: MutableMapping[str, str] | None = None) -> Origin:
        environ = os.environ if environ is None else environ
        if name in self.shell_names:
            return SHELL
        from_file = self.file_origin(name)
        if from_file is not None:
            return from_file
        return SHELL if environ.get(name) else DEFAULT


# The environment this process loaded (one CLI run per process; tests replace it through load_env_files).
current = LoadedEnvironment()


def parse_env_file(path: Path) -> list[FileEntry]:
    """Every ``NAME=value`` of one file with its line. A line that is not an assignment is an error."""
    if not path.is_file():
        raise ConfigurationError(f"--env-file {path} does not exist. Fix: give the path of an existing .env file (NAME=value lines).")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigurationError(f"--env-file {path} cannot be read ({type(e).__name__}). Fix: it must be a readable UTF-8 text file.") from None
    entries = []
    for binding in parse_stream(io.StringIO(text)):
        raw = binding.original.string
        line = binding.original.line + raw[: len(raw) - len(raw.lstrip())].count("\n")  # the parser counts blank lines before
        if binding.error:
            # The line itself is not echoed: it may hold a secret.
            raise ConfigurationError(f"{path} line {line} is not a NAME=value assignment. Fix: write it as NAME=value (a value may be quoted), or start it with # to make it a comment.")
        if binding.key is None or binding.value is None:  # a comment, or a bare NAME (Docker passes the shell's value through)
            continue
        entries.append(FileEntry(binding.key, binding.value, Origin("file", path, line)))
    return entries


def load_env_files(paths: list[Path], environ: MutableMapping[str, str] | None = None) -> LoadedEnvironment:
    """Read the files into the environment: later files win, the shell wins over all files."""
    global current
    environ = os.environ if environ is None else environ
    loaded = LoadedEnvironment(shell_names=frozenset(name for name, value in environ.items() if value))
    for path in paths:
        loaded.entries.extend(parse_env_file(Path(path)))
    for entry in loaded.entries:  # in order, so the last file's value is the one left
        if entry.name not in loaded.shell_names:
            environ[entry.name] = entry.value
    current = loaded
    return loaded
