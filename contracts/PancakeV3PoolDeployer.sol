// SPDX-License-Identifier: GPL-2.0-or-later
pragma solidity ^0.8.20;

/// @notice Holds PancakeV3Pool's creation code as its own code, behind a STOP byte (a call to it does nothing).
///         Contract code is where the deployer can keep 23,566 bytes and copy them back cheaply (EXTCODECOPY).
contract PancakeV3PoolCreationCode {
    constructor(bytes memory creationCode) {
        bytes memory code = bytes.concat(hex"00", creationCode);
        assembly {
            return(add(code, 32), mload(code))
        }
    }
}

/// @title PancakeV3PoolDeployer, rewritten for the devnet
/// @notice PancakeSwap v3 creates pools from this contract, apart from its factory:
///         PancakeV3Factory.createPool calls deploy(factory, token0, token1, fee, tickSpacing), which sets
///         parameters(), CREATE2s the pool with the salt keccak256(abi.encode(token0, token1, fee)) and clears
///         them; the pool's constructor reads parameters() from msg.sender (IPancakeV3PoolDeployer.sol).
///         The npm package pancakeswap/v3-core ships the factory and the pool compiled, but not this contract, so this
///         one is written from that interface and deploys the npm pool's creation code, which its constructor
///         takes and checks: pool addresses are CREATE2(this, salt, POOL_INIT_CODE_HASH), as on PancakeSwap.
///         As PancakeSwap's, it serves one factory, set once after both are deployed (setFactoryAddress).
contract PancakeV3PoolDeployer {
    struct Parameters {
        address factory;
        address token0;
        address token1;
        uint24 fee;
        int24 tickSpacing;
    }

    /// @notice keccak256 of PancakeV3Pool's creation code: PancakeSwap's periphery derives pool addresses from it.
    bytes32 public constant POOL_INIT_CODE_HASH = 0x6ce8eb472fa82df5469c6ab6d485f17c3ad13c8cd7af59b3d4a8026c5ce0f7e2;

    Parameters public parameters;
    address public factoryAddress;
    address public immutable poolCreationCode;

    event SetFactoryAddress(address indexed factory);

    constructor(bytes memory creationCode) {
        require(keccak256(creationCode) == POOL_INIT_CODE_HASH, "not PancakeV3Pool's creation code");
        poolCreationCode = address(new PancakeV3PoolCreationCode(creationCode));
    }

    function setFactoryAddress(address factory) external {
        require(factoryAddress == address(0), "already initialized");
        factoryAddress = factory;
        emit SetFactoryAddress(factory);
    }

    function deploy(address factory, address token0, address token1, uint24 fee, int24 tickSpacing) external returns (address pool) {
        require(msg.sender == factoryAddress, "only factory can call deploy");
        parameters = Parameters({factory: factory, token0: token0, token1: token1, fee: fee, tickSpacing: tickSpacing});
        address source = poolCreationCode;
        bytes memory creationCode = new bytes(source.code.length - 1);
        bytes32 salt = keccak256(abi.encode(token0, token1, fee));
        assembly {
            extcodecopy(source, add(creationCode, 32), 1, mload(creationCode))
            pool := create2(0, add(creationCode, 32), mload(creationCode), salt)
        }
        require(pool != address(0), "pool creation failed");
        delete parameters;
    }
}
