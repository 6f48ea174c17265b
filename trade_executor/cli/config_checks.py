"""Check every known environment variable before any command starts: one table, one line a variable.

A malformed value is reported with the variable, where it came from (file and line, or the
shell), what is wrong and the fix; a secret value is never shown. Unknown names in an .env file
are likely typos and get a warning with the closest known name.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import typer

from trade_executor.cli.env_files import LoadedEnvironment, Origin
from trade_executor.market.dates import iso_date_problem
from trade_executor.secrets import mask, show_value

# A check returns what is wrong with a value (None: nothing). The value is never in that text.
Check = Callable[[str], str | None]

HEX = re.compile(r"[0-9a-fA-F]+")
HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$")
TRUE_FALSE = {"true", "false", "1", "0", "yes", "no", "y", "n", "on", "off", "t", "f"}  # what click's bool accepts


def node_urls(value: str) -> str | None:
    urls = value.split()
    for number, url in enumerate(urls, 1):
        problem = _url_problem(url)
        if problem:
            return f"has a bad URL ({number} of {len(urls)}): it {problem}" if len(urls) > 1 else problem
    return None


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "is not a valid URL (check the host and port)"
    if parts.scheme in ("ws", "wss"):
        return "is a WebSocket URL, but the executor talks to nodes over HTTP JSON-RPC"
    if parts.scheme not in ("http", "https"):
        return "does not start with http:// or https://"
    if not parts.hostname:
        return "has no host name"
    return None


def web_url(value: str) -> str | None:
    return _url_problem(value.strip()) if " " not in value.strip() else "contains spaces: give one URL"


def private_key(value: str) -> str | None:
    digits = value.strip().removeprefix("0x").removeprefix("0X")
    if len(digits) == 64 and HEX.fullmatch(digits):
        return None
    return f"is not a private key: expected 0x followed by 64 hex digits (the value has {len(value.strip())} characters)"


def address(value: str) -> str | None:
    text = value.strip()
    if len(text) == 42 and text[:2] in ("0x", "0X") and HEX.fullmatch(text[2:]):
        return None
    return "is not an address: expected 0x followed by 40 hex digits"


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and number not in (float("inf"), float("-inf")) else None


def non_negative(value: str) -> str | None:
    number = _number(value)
    if number is None:
        return "is not a number"
    return "is negative" if number < 0 else None


def positive(value: str) -> str | None:
    number = _number(value)
    if number is None:
        return "is not a number"
    return "is not above zero" if number <= 0 else None


def fraction(value: str) -> str | None:
    number = _number(value)
    if number is None:
        return "is not a number"
    return "is not a fraction between 0 and 1 (0.03 means 3%)" if not 0 < number < 1 else None


def whole(minimum: int) -> Check:
    def check(value: str) -> str | None:
        try:
            number = int(value.strip())
        except ValueError:
            return "is not a whole number"
        return f"is below {minimum}" if number < minimum else None

    return check


def one_of(*choices: str) -> Check:
    def check(value: str) -> str | None:
        return None if value.strip().lower() in choices else f"is not one of {', '.join(choices)}"

    return check


def boolean(value: str) -> str | None:
    return None if value.strip().lower() in TRUE_FALSE else "is not a yes/no value"


def port(value: str) -> str | None:
    try:
        number = int(value.strip())
    except ValueError:
        return "is not a port number"
    return None if 1 <= number <= 65535 else "is not a TCP port (1-65535)"


def host_port(value: str) -> str | None:
    text = value.strip()
    if "://" in text:
        return "is a URL, not host or host:port"
    host, separator, port_text = text.rpartition(":")
    if not separator or text.endswith("]"):  # no port, or a bare [IPv6] address
        host, port_text = text, ""
    if not HOST.match(host):
        return "has no valid host name"
    return port(port_text) if port_text else None


@dataclass(frozen=True)
class Rule:
    """``name`` is a variable, or a prefix ending in ``*`` (JSON_RPC_*, TOKEN_*)."""

    name: str
    check: Check
    fix: str

    def applies_to(self, variable: str) -> bool:
        return variable.startswith(self.name[:-1]) if self.name.endswith("*") else variable == self.name


MINUTES = "set {name} to a number of minutes, 0 or more, e.g. {name}=5"
YES_NO = "set {name} to true or false (1/0 and yes/no also work)"
DATE = "write {name} as year-month-day, e.g. {name}=2018-06-01 (or 2018-06-01 12:00)"
RULES: tuple[Rule, ...] = (
    Rule("JSON_RPC_*", node_urls, "set {name} to the node's http(s):// URL; several URLs separated by spaces are tried in order, e.g. {name}=https://node-1.example https://node-2.example"),
    Rule("DISCORD_WEBHOOK_URL", web_url, "paste the webhook URL Discord shows (https://discord.com/api/webhooks/...)"),
    Rule("ICON_URL", web_url, "set {name} to the http(s):// URL of an image"),
    Rule("PRIVATE_KEY", private_key, "use the key `trade-executor new-wallet` printed (0x and 64 hex digits), or a keystore file with KEYSTORE_FILE"),
    Rule("CYCLE_OFFSET_MINUTES", non_negative, MINUTES),
    Rule("MAX_DATA_DELAY_MINUTES", non_negative, MINUTES),
    Rule("MAX_PRICE_DEVIATION", fraction, "set {name} to a fraction between 0 and 1, e.g. {name}=0.03 (3%)"),
    Rule("TWAP_WINDOW_MINUTES", positive, "set {name} to a number of minutes above 0, e.g. {name}=15"),
    Rule("RPC_OUTAGE_TOLERANCE_SECONDS", non_negative, "set {name} to a number of seconds, 0 or more, e.g. {name}=300"),
    Rule("CYCLE_WATCHDOG_MINUTES", positive, "set {name} to a number of minutes above 0, e.g. {name}=30"),
    Rule("POSITION_TRIGGER_CHECK_MINUTES", positive, "set {name} to a number of minutes above 0, e.g. {name}=1"),
    Rule("MIN_GAS_BALANCE", non_negative, "set {name} to an amount of the chain's native token, 0 or more, e.g. {name}=0.05"),
    Rule("CONFIRMATION_BLOCK_COUNT", whole(1), "set {name} to a whole number of blocks, 1 or more, e.g. {name}=2"),
    Rule("CONFIRMATION_TIMEOUT", positive, "set {name} to a number of seconds, e.g. {name}=60"),
    Rule("MAX_CYCLES", whole(1), "set {name} to a whole number of cycles, 1 or more, or leave it unset"),
    Rule("FROM_BLOCK", whole(0), "set {name} to a block number, 0 or more"),
    Rule("TEST_TRADE_AMOUNT", positive, "set {name} to an amount of the reserve currency, e.g. {name}=1"),
    Rule("EXECUTION_TYPE", one_of("uniswap_v2_hot_wallet", "uniswap_v3_hot_wallet", "paper", "dummy", "backtest"), "use uniswap_v2_hot_wallet (live; uniswap_v3_hot_wallet on a Uniswap v3 exchange), paper (the live loop, nothing signed; dummy is its other name) or backtest"),
    Rule("APPROVAL_TYPE", one_of("unchecked", "cli"), "use unchecked (trade what the strategy decides) or cli (ask on the console)"),
    Rule("LOG_LEVEL", one_of("debug", "info", "warning", "error"), "use debug, info, warning or error"),
    Rule("LOG_FORMAT", one_of("human", "json"), "use human or json"),
    Rule("UNRESOLVED_TRADES", one_of("rebroadcast", "fail"), "use rebroadcast or fail"),
    Rule("FILL_MODEL", one_of("constant_product", "concentrated_liquidity", "simple", "simple_fee_on_top"), "use constant_product, concentrated_liquidity, simple or simple_fee_on_top"),
    Rule("HTTP_ENABLED", boolean, YES_NO),
    Rule("RUN_SINGLE_CYCLE", boolean, YES_NO),
    Rule("HTTP_PORT", port, "set {name} to a port between 1 and 65535, e.g. {name}=3456"),
    Rule("LOGSTASH_SERVER", host_port, "set {name} to host or host:port, e.g. {name}=logs.example.com:5959"),
    Rule("STATSD_HOST", host_port, "set {name} to host or host:port, e.g. {name}=127.0.0.1:8125"),
    Rule("UNISWAP_V2_ROUTER", address, "set {name} to the router's address, 0x and 40 hex digits"),
    Rule("UNISWAP_V2_FACTORY", address, "set {name} to the factory's address, 0x and 40 hex digits"),
    Rule("UNISWAP_V3_FACTORY", address, "set {name} to the v3 factory's address, 0x and 40 hex digits"),
    Rule("UNISWAP_V3_SWAP_ROUTER_02", address, "set {name} to SwapRouter02's address, 0x and 40 hex digits"),
    Rule("UNISWAP_V3_QUOTER_V2", address, "set {name} to QuoterV2's address, 0x and 40 hex digits"),
    Rule("TOKEN_*", address, "set {name} to the token's address, 0x and 40 hex digits (TOKEN_<SYMBOL>=0x...)"),
    *(Rule(name, iso_date_problem, DATE) for name in ("BACKTEST_START", "BACKTEST_END", "REPLAY_START", "REPLAY_END", "DEVNET_START_DATE")),
)

# Names an .env file may hold without a warning though no command reads them as an option.
ALLOWED_PREFIXES = ("JSON_RPC_", "TOKEN_", "PAIR_", "UNISWAP_V3_")  # PAIR_<BASE>_<QUOTE>: pool addresses the devnet writes, for people;
# UNISWAP_V3_*: the v3 addresses `devnet --exchange=uniswap-v3` writes; FACTORY, SWAP_ROUTER_02 and QUOTER_V2 are read, the others are for people
ALLOWED_NAMES = frozenset({"DOMAIN_NAME", "TRADE_EXECUTOR_VERSION", "CHAIN_ID", "WETH", "COMPOSE_PROJECT_NAME", "TZ", "PYTHONUNBUFFERED", "PYTHONWARNINGS"})


def rule_for(name: str) -> Rule | None:
    return next((rule for rule in RULES if rule.applies_to(name)), None)


def problem_with(name: str, value: str, origin: Origin) -> str | None:
    """One message for a malformed value, or None. Secrets are shown as ***; URLs without their key parts."""
    rule = rule_for(name)
    if rule is None or not value.strip():
        return None
    wrong = rule.check(value)
    if wrong is None:
        return None
    shown = show_value(name, value)
    return mask(f"{name}={shown} ({origin.describe()}) {wrong}. Fix: {rule.fix.format(name=name)}.")


def check_environment(environ: Mapping[str, str], loaded: LoadedEnvironment) -> list[str]:
    """Every problem with a known variable, in name order."""
    return [p for name in sorted(environ) if (p := problem_with(name, environ[name], loaded.origin_of(name, environ)))]


def unknown_variable_warnings(loaded: LoadedEnvironment, known: Iterable[str]) -> list[str]:
    known = set(known) | {rule.name for rule in RULES if not rule.name.endswith("*")}
    warnings = []
    for entry in loaded.entries:
        name = entry.name
        if name in known or name in ALLOWED_NAMES or name.startswith(ALLOWED_PREFIXES):
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f" Did you mean {close[0]}?" if close else " A typo? Remove it or fix its name."
        warnings.append(f"{entry.origin.path} line {entry.origin.line}: {name} is not a variable trade-executor reads.{hint}")
    return warnings


def current_problems(known: Iterable[str]) -> tuple[list[str], list[str]]:
    """(errors, warnings) for this process's environment and loaded files."""
    from trade_executor.cli import env_files

    return check_environment(os.environ, env_files.current), unknown_variable_warnings(env_files.current, known)


def prepare_environment(env_files: list, known: Iterable[str], *, check: bool = True) -> None:
    """Load the .env files, register every secret for masking, then refuse malformed values (exit 2)."""
    from trade_executor.cli import env_files as files
    from trade_executor.errors import ConfigurationError
    from trade_executor.secrets import register_environment

    files.load_env_files(list(env_files))
    register_environment(os.environ)
    if not check:
        return
    errors, warnings = current_problems(known)
    for warning in warnings:
        typer.echo(f"Warning: {mask(warning)}", err=True)
    if errors:
        raise ConfigurationError("\nError: ".join(errors))
