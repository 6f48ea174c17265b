// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IUniswapV2PairLike {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

interface IERC20Like {
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @title SwapChurner
/// @notice Many Uniswap v2 swaps in one transaction, for building long devnet histories quickly:
///         a test chain needs tens of thousands of Sync and Swap events, and one transaction per
///         swap would take minutes to mine. The contract holds both tokens of each pool and swaps
///         straight against the pair (no router), so each swap is one Sync and one Swap event.
///         Only the deployer may use it.
contract SwapChurner {
    address public immutable owner;

    constructor() {
        owner = msg.sender;
    }

    /// @notice For each pair in turn, `amountsIn.length / pairs.length` swaps of the given input
    ///         amounts; swap j of pair i sells token0 when bit j of `zeroForOne[i]` is set, else
    ///         token1. The output is the pair's own getAmountOut (0.3% fee), received back here.
    function churn(address[] calldata pairs, uint256[] calldata amountsIn, uint256[] calldata zeroForOne) external {
        require(msg.sender == owner, "SwapChurner: caller is not the owner");
        require(pairs.length == zeroForOne.length && pairs.length > 0, "SwapChurner: one direction word per pair");
        uint256 perPair = amountsIn.length / pairs.length;
        require(perPair * pairs.length == amountsIn.length && perPair <= 256, "SwapChurner: the same number of swaps per pair, at most 256");
        for (uint256 i = 0; i < pairs.length; i++) {
            IUniswapV2PairLike pair = IUniswapV2PairLike(pairs[i]);
            address token0 = pair.token0();
            address token1 = pair.token1();
            for (uint256 j = 0; j < perPair; j++) {
                _swap(pair, token0, token1, amountsIn[i * perPair + j], (zeroForOne[i] >> j) & 1 == 1);
            }
        }
    }

    function _swap(IUniswapV2PairLike pair, address token0, address token1, uint256 amountIn, bool sellToken0) internal {
        (uint112 reserve0, uint112 reserve1, ) = pair.getReserves();
        (uint256 reserveIn, uint256 reserveOut) = sellToken0 ? (uint256(reserve0), uint256(reserve1)) : (uint256(reserve1), uint256(reserve0));
        uint256 amountInWithFee = amountIn * 997;
        uint256 amountOut = (amountInWithFee * reserveOut) / (reserveIn * 1000 + amountInWithFee);
        require(IERC20Like(sellToken0 ? token0 : token1).transfer(address(pair), amountIn), "SwapChurner: transfer failed");
        pair.swap(sellToken0 ? 0 : amountOut, sellToken0 ? amountOut : 0, address(this), "");
    }
}
