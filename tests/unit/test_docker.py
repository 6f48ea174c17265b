"""Dockerfile, .dockerignore and docker-compose.yml agree with each other and with the package.

No Docker engine runs here, so the image is never built in these tests: they check what can be
checked without one, and run the Dockerfile's own dependency step and entry point locally.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    instructions, current = [], ""
    for line in (REPO / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or not stripped:
            continue
        current += stripped[:-1] + " " if stripped.endswith("\\") else stripped
        if not stripped.endswith("\\"):
            keyword, _, arguments = current.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
            current = ""
    return instructions


def instruction(name: str) -> list[str]:
    return [arguments for keyword, arguments in dockerfile_instructions() if keyword == name]


@pytest.fixture(scope="module")
def service() -> dict:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return compose["services"]["pancake-eth-usd-sma"]


def test_the_image_is_python_3_11_slim():
    assert instruction("FROM") == ["python:3.11-slim"]


def test_entrypoint_is_the_console_script_and_hello_works():
    (entrypoint,) = instruction("ENTRYPOINT")
    command = json.loads(entrypoint)
    assert command == ["trade-executor"]
    assert list(PYPROJECT["project"]["scripts"]) == command
    # What `docker run IMAGE hello` runs inside the image, run here with the installed script.
    out = subprocess.run([str(Path(sys.executable).parent / command[0]), "hello"], capture_output=True, text=True, check=True)
    assert out.stdout == "Hello blockchain\n"


def test_compose_service_matches_the_deployment_guide(service):
    assert service["container_name"] == "pancake-eth-usd-sma"
    assert "${TRADE_EXECUTOR_VERSION" in service["image"]
    assert service["ports"] == ["127.0.0.1:19003:3456"]
    assert service["volumes"] == [f"./{name}:/usr/src/trade-executor/{name}" for name in ("strategy", "state", "cache")]
    assert service["command"] == "start"
    assert service["env_file"] == ["~/pancake-eth-usd-sma-final.env"]
    assert service["build"] == "."


def test_compose_volumes_are_under_the_image_workdir_and_the_port_is_the_webhook_port(service):
    (workdir,) = instruction("WORKDIR")
    assert {volume.split(":")[1].rsplit("/", 1)[0] for volume in service["volumes"]} == {workdir}
    assert service["ports"][0].rsplit(":", 1)[1] in instruction("EXPOSE")
    from trade_executor.webhook.config import DEFAULT_PORT

    assert str(DEFAULT_PORT) in instruction("EXPOSE")


def test_the_dependency_step_installs_exactly_the_pinned_dependencies_of_pyproject(tmp_path):
    dependencies = PYPROJECT["project"]["dependencies"]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.]*", d) for d in dependencies), dependencies
    (step,) = [r for r in instruction("RUN") if "tomllib" in r]
    assert "pip install -r requirements.txt" in step
    # Run the Dockerfile's extraction command itself on a copy of pyproject.toml.
    python_command = re.search(r"(python -c \".*?\") > requirements.txt", step).group(1)
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text())
    argv = shlex.split(python_command)
    out = subprocess.run([sys.executable, *argv[1:]], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == dependencies


def test_the_package_step_adds_no_unpinned_dependency():
    (install,) = [r for r in instruction("RUN") if r.startswith("pip install --no-deps")]
    assert install.startswith("pip install --no-deps /tmp/build") and "pip check" in install


def test_the_build_context_keeps_what_the_image_copies_and_leaves_out_secrets_and_state():
    patterns = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")]

    def ignored(path: str) -> bool:
        parts = path.split("/")
        return any(fnmatch.fnmatch(path, p.removeprefix("**/")) or any(fnmatch.fnmatch(part, p.removeprefix("**/")) for part in parts) for p in patterns)

    copied = [args.split()[0] for args in instruction("COPY")]
    assert copied == ["pyproject.toml", "README.md", "trade_executor", "strategies"]
    for source in copied:
        assert (REPO / source).exists(), source
        assert not ignored(source), source
    for private in (".env", "secrets.env", "pancake.env", ".venv", ".git", "node_modules", "state", "cache", "trade_executor/__pycache__"):
        assert ignored(private), private
