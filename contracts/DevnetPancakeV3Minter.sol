// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IPancakeV3PoolMint {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function fee() external view returns (uint24);
    function mint(address recipient, int24 tickLower, int24 tickUpper, uint128 amount, bytes calldata data)
        external
        returns (uint256 amount0, uint256 amount1);
}

/// @title DevnetPancakeV3Minter: adds liquidity to PancakeSwap v3 pools on a devnet
/// @notice A devnet stand-in for PancakeSwap's NonfungiblePositionManager, which is not published on npm: it mints
///         ``liquidity`` over [tickLower, tickUpper) in a pool, owned by the caller (who may burn it on the pool
///         directly; no NFT), and pays the pool from the caller's approved tokens in pancakeV3MintCallback, to a
///         pool at CREATE2(deployer, keccak256(abi.encode(token0, token1, fee)), POOL_INIT_CODE_HASH) only.
contract DevnetPancakeV3Minter {
    bytes32 public constant POOL_INIT_CODE_HASH = 0x6ce8eb472fa82df5469c6ab6d485f17c3ad13c8cd7af59b3d4a8026c5ce0f7e2;

    address public immutable deployer;

    constructor(address deployer_) {
        deployer = deployer_;
    }

    function mint(address pool, int24 tickLower, int24 tickUpper, uint128 liquidity) external returns (uint256 amount0, uint256 amount1) {
        return IPancakeV3PoolMint(pool).mint(msg.sender, tickLower, tickUpper, liquidity, abi.encode(msg.sender));
    }

    function pancakeV3MintCallback(uint256 amount0Owed, uint256 amount1Owed, bytes calldata data) external {
        IPancakeV3PoolMint pool = IPancakeV3PoolMint(msg.sender);
        (address token0, address token1, uint24 fee) = (pool.token0(), pool.token1(), pool.fee());
        bytes32 salt = keccak256(abi.encode(token0, token1, fee));
        address expected = address(uint160(uint256(keccak256(abi.encodePacked(hex"ff", deployer, salt, POOL_INIT_CODE_HASH)))));
        require(msg.sender == expected, "Not a pool of the deployer");
        address payer = abi.decode(data, (address));
        if (amount0Owed > 0) _transferFrom(token0, payer, msg.sender, amount0Owed);
        if (amount1Owed > 0) _transferFrom(token1, payer, msg.sender, amount1Owed);
    }

    function _transferFrom(address token, address from, address to, uint256 amount) private {
        (bool success, bytes memory answer) = token.call(abi.encodeWithSignature("transferFrom(address,address,uint256)", from, to, amount));
        require(success && (answer.length == 0 || abi.decode(answer, (bool))), "STF");
    }
}
