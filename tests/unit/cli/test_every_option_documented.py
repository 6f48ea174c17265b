"""Every option of every command reads a documented environment variable, and `--help` says which."""

from __future__ import annotations

import re

import pytest
import typer

from trade_executor.cli.main import app

from .cli_env import KNOWN, REPO, clean_env, invoke  # noqa: F401 - clean_env is a fixture

GROUP = typer.main.get_command(app)
COMMANDS = sorted(GROUP.commands)


def flat(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def options_of(command: str):
    return [param for param in GROUP.commands[command].params if param.name != "help" and param.opts[0].startswith("--")]


def test_the_configuration_commands_are_there():
    assert {"show-config", "export", "new-wallet", "check-wallet", "start"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_reads_an_environment_variable(command):
    missing = [param.opts[0] for param in options_of(command) if not isinstance(param.envvar, str) or not param.show_envvar]
    assert missing == [], f"`{command}` options without a shown environment variable: {missing}"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.usefixtures("clean_env")
def test_help_lists_every_option_and_its_environment_variable(command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("NO_COLOR", "1")
    result = invoke(command, "--help")
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    for param in options_of(command):
        assert param.opts[0] in text, f"{param.opts[0]} missing from `{command} --help`"
        assert f"env var: {param.envvar}" in text, f"{param.envvar} missing from `{command} --help`"


def test_one_variable_means_one_thing_across_commands():
    """The same name is never two different options (--state-file is STATE_FILE everywhere)."""
    seen: dict[str, str] = {}
    for command in COMMANDS:
        for param in options_of(command):
            assert seen.setdefault(param.envvar, param.opts[0]) == param.opts[0], f"{param.envvar} is {seen[param.envvar]} and {param.opts[0]}"


README = (REPO / "README.md").read_text()


@pytest.mark.skipif("## Configuration" not in README, reason="the README's Configuration section is added by the lead")
def test_the_readme_configuration_section_lists_every_variable():
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert [name for name in KNOWN if f"`{name}`" not in section] == []
