"""An encrypted key file (the Ethereum JSON keystore v3, scrypt) instead of a plain PRIVATE_KEY.

The file is what geth, Foundry's `cast wallet` and MetaMask exports use: without the passphrase
it gives nothing away, so it can sit in a volume or a backup. The decrypted key lives only in
memory, registered as a secret so it is masked wherever text leaves the process.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from eth_account import Account

from trade_executor.errors import ConfigurationError
from trade_executor.secrets import register_secret

# scrypt cost as geth's "standard" keystores (n=2**18): about a second and 256 MB to open, by design.
SCRYPT_N = 2**18


def write_keystore(path: Path, private_key: str, passphrase: str, *, scrypt_n: int = SCRYPT_N) -> str:
    """Encrypt the key into a new file (never over an existing one), readable by its owner only. Returns the address."""
    if not passphrase:
        raise ConfigurationError("An empty passphrase would leave the keystore open to anyone. Fix: give a passphrase (KEYSTORE_PASSWORD or the prompt).")
    register_secret(passphrase)
    encrypted = Account.encrypt(private_key, passphrase, kdf="scrypt", iterations=scrypt_n)
    path = Path(path)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigurationError(f"Keystore file {path} already exists; it is never overwritten (it may hold the only copy of a key). Fix: choose another --keystore-file path.") from None
    except OSError as e:
        raise ConfigurationError(f"Cannot create keystore file {path}: {e.strerror}. Fix: use a writable folder.") from None
    with os.fdopen(descriptor, "w") as file:
        json.dump(encrypted, file)
        file.flush()
        os.fsync(file.fileno())
    return Account.from_key(private_key).address


def read_keystore(path: Path, passphrase: str) -> str:
    """The 0x-prefixed private key in the file. A wrong passphrase or a bad file: ConfigurationError."""
    path = Path(path)
    register_secret(passphrase)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"KEYSTORE_FILE {path} does not exist. Fix: give the path of the file `trade-executor new-wallet --keystore-file` wrote.") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ConfigurationError(f"KEYSTORE_FILE {path} is not a JSON keystore ({type(e).__name__}). Fix: give an Ethereum keystore v3 file.") from None
    if not isinstance(document, dict) or "crypto" not in {k.lower() for k in document}:
        raise ConfigurationError(f"KEYSTORE_FILE {path} is not an Ethereum keystore v3 file (no crypto section). Fix: give the file `new-wallet --keystore-file` wrote.")
    try:
        key = Account.decrypt(document, passphrase)
    except ValueError as e:
        if "MAC mismatch" in str(e):
            raise ConfigurationError(f"The passphrase does not open keystore file {path} (wrong passphrase). Fix: give the passphrase the file was written with (KEYSTORE_PASSWORD or the prompt).") from None
        raise ConfigurationError(f"KEYSTORE_FILE {path} cannot be decrypted: {type(e).__name__}. Fix: give an Ethereum keystore v3 file.") from None
    private_key = "0x" + bytes(key).hex()
    register_secret(private_key)
    return private_key
