// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IPancakeV3PoolSwap {
    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes calldata data)
        external
        returns (int256 amount0, int256 amount1);
}

/// @title DevnetSmartRouter: a devnet stand-in for PancakeSwap v3's SmartRouter (exact-input v3 swaps only)
/// @notice PancakeSwap does not publish its SmartRouter on npm, so the devnet swaps through this: the part of
///         SmartRouter's (= Uniswap's SwapRouter02's) interface trade-executor uses, with its names, structs and
///         checks: multicall(deadline, data), exactInputSingle and exactInput (no deadline inside the structs),
///         factory(), factoryV2(), deployer(), WETH9(). The pools swapped are PancakeSwap's own (PancakeV3Pool); the
///         callback pays only a pool at CREATE2(deployer, keccak256(abi.encode(token0, token1, fee)), POOL_INIT_CODE_HASH).
///         Not here: exact-output swaps, v2 and stable swaps, native ETH in or out (WETH only), permits.
contract DevnetSmartRouter {
    bytes32 public constant POOL_INIT_CODE_HASH = 0x6ce8eb472fa82df5469c6ab6d485f17c3ad13c8cd7af59b3d4a8026c5ce0f7e2;
    uint160 internal constant MIN_SQRT_RATIO = 4295128739;
    uint160 internal constant MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342;

    struct ExactInputSingleParams {
        address tokenIn;
        address tokenOut;
        uint24 fee;
        address recipient;
        uint256 amountIn;
        uint256 amountOutMinimum;
        uint160 sqrtPriceLimitX96;
    }

    struct ExactInputParams {
        bytes path; // tokenIn, then (fee: 3 bytes, token: 20 bytes) per hop
        address recipient;
        uint256 amountIn;
        uint256 amountOutMinimum;
    }

    /// @notice One hop of a swap, and who pays it: the callback's data.
    struct Hop {
        address tokenIn;
        address tokenOut;
        uint24 fee;
        address payer;
    }

    address public immutable factoryV2;
    address public immutable deployer;
    address public immutable factory;
    address public immutable WETH9;

    constructor(address factoryV2_, address deployer_, address factoryV3_, address weth9_) {
        (factoryV2, deployer, factory, WETH9) = (factoryV2_, deployer_, factoryV3_, weth9_);
    }

    /// @notice Each call of ``data`` on this router in turn (delegatecall: msg.sender stays the caller), before ``deadline``.
    function multicall(uint256 deadline, bytes[] calldata data) external returns (bytes[] memory results) {
        require(block.timestamp <= deadline, "Transaction too old");
        results = new bytes[](data.length);
        for (uint256 i = 0; i < data.length; i++) {
            (bool success, bytes memory result) = address(this).delegatecall(data[i]);
            if (!success) {
                assembly {
                    revert(add(result, 32), mload(result))
                }
            }
            results[i] = result;
        }
    }

    function exactInputSingle(ExactInputSingleParams calldata params) external returns (uint256 amountOut) {
        Hop memory hop = Hop(params.tokenIn, params.tokenOut, params.fee, msg.sender);
        amountOut = _swap(hop, params.recipient, params.amountIn, params.sqrtPriceLimitX96);
        require(amountOut >= params.amountOutMinimum, "Too little received");
    }

    /// @notice Hop by hop along ``path``; the tokens between hops are held here, and pay the next hop.
    function exactInput(ExactInputParams calldata params) external returns (uint256 amountOut) {
        bytes calldata path = params.path;
        require(path.length >= 43 && (path.length - 20) % 23 == 0, "Invalid path");
        address payer = msg.sender;
        amountOut = params.amountIn;
        while (true) {
            bool last = path.length == 43;
            address recipient = last ? params.recipient : address(this);
            Hop memory hop = Hop(address(bytes20(path[0:20])), address(bytes20(path[23:43])), uint24(bytes3(path[20:23])), payer);
            amountOut = _swap(hop, recipient, amountOut, 0);
            if (last) break;
            payer = address(this);
            path = path[23:];
        }
        require(amountOut >= params.amountOutMinimum, "Too little received");
    }

    function pancakeV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata data) external {
        Hop memory hop = abi.decode(data, (Hop));
        require(msg.sender == poolAddress(hop.tokenIn, hop.tokenOut, hop.fee), "Not a pool of the deployer");
        require(amount0Delta > 0 || amount1Delta > 0, "Nothing to pay"); // a swap entirely within a range without liquidity
        uint256 owed = uint256(amount0Delta > 0 ? amount0Delta : amount1Delta); // exact input: what is owed is tokenIn
        if (hop.payer == address(this)) {
            _call(hop.tokenIn, abi.encodeWithSignature("transfer(address,uint256)", msg.sender, owed), "ST");
        } else {
            _call(hop.tokenIn, abi.encodeWithSignature("transferFrom(address,address,uint256)", hop.payer, msg.sender, owed), "STF");
        }
    }

    /// @notice The pool of two tokens and a fee tier, where PancakeV3PoolDeployer creates it (PoolAddress.computeAddress).
    function poolAddress(address tokenA, address tokenB, uint24 fee) public view returns (address) {
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        bytes32 salt = keccak256(abi.encode(token0, token1, fee));
        return address(uint160(uint256(keccak256(abi.encodePacked(hex"ff", deployer, salt, POOL_INIT_CODE_HASH)))));
    }

    /// @notice An exact-input swap of one hop; a price limit of 0 is none.
    function _swap(Hop memory hop, address recipient, uint256 amountIn, uint160 limit) private returns (uint256 amountOut) {
        require(amountIn < 2 ** 255, "Amount too large");
        bool zeroForOne = hop.tokenIn < hop.tokenOut;
        if (limit == 0) limit = zeroForOne ? MIN_SQRT_RATIO + 1 : MAX_SQRT_RATIO - 1;
        IPancakeV3PoolSwap pool = IPancakeV3PoolSwap(poolAddress(hop.tokenIn, hop.tokenOut, hop.fee));
        (int256 amount0, int256 amount1) = pool.swap(recipient, zeroForOne, int256(amountIn), limit, abi.encode(hop));
        amountOut = uint256(-(zeroForOne ? amount1 : amount0));
    }

    /// @notice A token call that must succeed and return true or nothing (TransferHelper's rule).
    function _call(address token, bytes memory data, string memory reason) private {
        (bool success, bytes memory answer) = token.call(data);
        require(success && (answer.length == 0 || abi.decode(answer, (bool))), reason);
    }
}
