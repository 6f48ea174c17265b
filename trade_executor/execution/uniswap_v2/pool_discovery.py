"""Which pools to read, and what they trade: found through the factory or given by address, in a few batches.

Token symbols and decimals come from the tokens themselves (``symbol()`` may be a string or, on old
tokens such as MKR, a bytes32), so a history names its tokens without the user's configuration.
"""

from __future__ import annotations

from eth_abi import decode, encode
from eth_utils import to_checksum_address

from trade_executor.chain.rpc_calls import RpcCaller
from trade_executor.errors import ConfigurationError
from trade_executor.market.pool_history import TokenInfo

GET_PAIR = "0xe6a43905"  # getPair(address,address)
TOKEN0, TOKEN1 = "0x0dfe1681", "0xd21220a7"
SYMBOL, DECIMALS = "0x95d89b41", "0x313ce567"
ZERO = "0x" + "00" * 20


def _calls(targets_and_data: list[tuple[str, str]]) -> list[tuple[str, list]]:
    return [("eth_call", [{"to": to, "data": data}, "latest"]) for to, data in targets_and_data]


def _results(caller: RpcCaller, targets_and_data: list[tuple[str, str]], what: str) -> list[bytes]:
    answers = caller.batch(_calls(targets_and_data))
    found = []
    for (to, _), answer in zip(targets_and_data, answers, strict=True):
        result = answer.get("result")
        if "error" in answer or not result or result == "0x":
            raise ConfigurationError(f"{to} answered no {what} ({answer.get('error', {}).get('message', 'empty answer')}): is it the right address on this chain?")
        found.append(bytes.fromhex(result.removeprefix("0x")))
    return found


def find_pools(caller: RpcCaller, factory: str, base_tokens: dict[str, str], quote_token: str) -> dict[str, str]:
    """Symbol -> pool address of each base token against the quote token, through the factory's getPair."""
    data = [(factory, GET_PAIR + encode(["address", "address"], [base, quote_token]).hex()) for base in base_tokens.values()]
    pools = {}
    for symbol, raw in zip(base_tokens, _results(caller, data, "pair (is UNISWAP_V2_FACTORY a Uniswap v2 factory?)"), strict=True):
        pool = to_checksum_address(decode(["address"], raw)[0])
        if pool.lower() == ZERO:
            raise ConfigurationError(
                f"The factory {factory} has no pool for {symbol} ({base_tokens[symbol]}) and {quote_token}. "
                f"Check TOKEN_{symbol} and UNISWAP_V2_FACTORY, or give the pool with --pool=0x...."
            )
        pools[symbol] = pool
    return pools


def pool_tokens(caller: RpcCaller, pools: list[str]) -> dict[str, tuple[TokenInfo, TokenInfo]]:
    """Pool address -> (token0, token1), with each token's symbol and decimals."""
    raw = _results(caller, [(pool, selector) for pool in pools for selector in (TOKEN0, TOKEN1)], "token0()/token1() (is it a Uniswap v2 pool?)")
    addresses = [to_checksum_address(decode(["address"], r)[0]) for r in raw]
    tokens = list(dict.fromkeys(addresses))
    details = _results(caller, [(token, selector) for token in tokens for selector in (SYMBOL, DECIMALS)], "symbol()/decimals() (is it an ERC-20 token?)")
    infos = {token: TokenInfo(token, _symbol(details[2 * i]), decode(["uint8"], details[2 * i + 1][-32:])[0]) for i, token in enumerate(tokens)}
    return {to_checksum_address(pool): (infos[addresses[2 * i]], infos[addresses[2 * i + 1]]) for i, pool in enumerate(pools)}


def _symbol(raw: bytes) -> str:
    if len(raw) == 32:  # bytes32 symbols of early tokens
        return raw.rstrip(b"\0").decode("utf-8", "replace")
    return decode(["string"], raw)[0]


def pools_to_download(
    caller: RpcCaller, *, symbols: list[str], addresses: list[str], tokens: dict[str, str], reserve: str | None, factory: str | None
) -> tuple[dict[str, tuple[TokenInfo, TokenInfo]], dict[str, str]]:
    """(pool -> its tokens, pool -> a name like "ETH-USDC") for base symbols (found through the factory) and pool addresses."""
    names: dict[str, str] = {}
    if symbols:
        if not reserve:
            raise ConfigurationError("--pairs needs the reserve currency the pairs trade against: give --reserve-currency=USDC (or a --strategy-file).")
        if not factory:
            raise ConfigurationError("--pairs finds pools through the factory: set UNISWAP_V2_FACTORY (or --uniswap-v2-factory), or give the pools with --pool=0x....")
        wanted = [reserve, *symbols]
        missing = [symbol for symbol in wanted if symbol not in tokens]
        if missing:
            raise ConfigurationError(f"No address for {', '.join(missing)}: set {', '.join('TOKEN_' + s + '=0x...' for s in missing)} (the devnet's .env has them).")
        for symbol, pool in find_pools(caller, factory, {s: tokens[s] for s in symbols}, tokens[reserve]).items():
            names[pool] = f"{symbol}-{reserve}"
    for address in addresses:
        names.setdefault(to_checksum_address(address), "")
    if not names:
        raise ConfigurationError("Nothing to download: give --pairs=ETH,BTC (pools found through the factory) or --pool=0x... (a pool's address).")
    found = pool_tokens(caller, list(names))
    for pool, (token0, token1) in found.items():
        if not names[pool]:
            quote = next((t for t in (token1, token0) if reserve and t.symbol.upper() == reserve.upper()), token1)
            base = token0 if quote is token1 else token1
            names[pool] = f"{base.symbol}-{quote.symbol}"
    return found, names
