"""`check-universe` on a keystore-only configuration (KEYSTORE_FILE + KEYSTORE_PASSWORD, no PRIVATE_KEY), as every live command."""

from __future__ import annotations

from .test_keystore import PASSPHRASE, run, wallet_env


def test_check_universe_reads_the_keystore_new_wallet_wrote(deployment, strategy_file, tmp_path):
    keystore = tmp_path / "wallet.json"
    env = wallet_env(deployment, strategy_file, tmp_path, KEYSTORE_PASSWORD=PASSPHRASE)
    made = run(env, "new-wallet", f"--keystore-file={keystore}")
    assert made.returncode == 0, made.stderr

    checked = run({**env, "KEYSTORE_FILE": str(keystore)}, "check-universe")

    assert checked.returncode == 0, checked.stderr[-2000:]
    assert "Latest OHLCV candle is at:" in checked.stdout and "ETH-USDC" in checked.stdout
    assert "PRIVATE_KEY" not in checked.stderr
