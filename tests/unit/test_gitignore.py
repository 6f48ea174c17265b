"""Secrets the README's steps write into the checkout are ignored by git: `devnet` writes a private key into devnet.env."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def ignored(path: str) -> bool:
    return subprocess.run(["git", "check-ignore", "--quiet", "--no-index", path], cwd=REPO).returncode == 0


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="needs git and a checkout")
def test_generated_secret_files_are_ignored_and_the_public_env_file_is_not():
    for secret in ("devnet.env", "secret.env", "pancake-eth-usd-sma-secrets.env", "pancake-eth-usd-sma-final.env", "wallet.json", "env/devnet.env"):
        assert ignored(secret), secret
    assert not ignored("env/devnet-eth-usdc.env")
