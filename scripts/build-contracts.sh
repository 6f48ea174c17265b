#!/usr/bin/env bash
# Compile the devnet's own contracts (contracts/*.sol) offline with the pinned solcjs from
# node_modules and write the artifacts the devnet deploys: {"abi", "bytecode", "compiler"} JSON.
# The artifacts are committed, so nothing compiles at run time; run this after editing a contract.
# Fixed settings (optimizer on, 200 runs, EVM version paris, a fixed source path) make the output
# byte-for-byte reproducible: tests/integration/devnet checks that a rebuild gives the same bytecode.
#
# Usage: scripts/build-contracts.sh [OUTPUT_DIR]   (default: trade_executor/devnet/artifacts)
set -euo pipefail
cd "$(dirname "$0")/.."

OUT_DIR="${1:-trade_executor/devnet/artifacts}"
SOLCJS=node_modules/.bin/solcjs
CONTRACTS=(MintableERC20 SwapChurner PancakeV3PoolDeployer DevnetSmartRouter DevnetPancakeV3Minter)
EVM_VERSION=paris   # no PUSH0/MCOPY: deploys on any EVM chain or node, old or new
OPTIMIZER_RUNS=200

if [ ! -x "$SOLCJS" ] || ! command -v node >/dev/null 2>&1; then
    echo "solcjs (and Node.js) not found: run ./scripts/setup.sh, which installs solc from npm into node_modules." >&2
    exit 1
fi
mkdir -p "$OUT_DIR"
COMPILER="$("$SOLCJS" --version)"

# One compilation of every source (each contract's bytecode and metadata depend only on its own source):
# solcjs loads its compiler once. Standard JSON in, standard JSON out: every setting is spelt out here.
node -e '
    const fs = require("fs");
    const [evmVersion, runs, ...names] = process.argv.slice(1);
    const sources = Object.fromEntries(names.map((n) => [`contracts/${n}.sol`, { content: fs.readFileSync(`contracts/${n}.sol`, "utf8") }]));
    process.stdout.write(JSON.stringify({
        language: "Solidity",
        sources,
        settings: {
            optimizer: { enabled: true, runs: Number(runs) },
            evmVersion,
            metadata: { bytecodeHash: "ipfs" },
            outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
        },
    }));
' "$EVM_VERSION" "$OPTIMIZER_RUNS" "${CONTRACTS[@]}" \
| "$SOLCJS" --standard-json \
| node -e '
    const fs = require("fs");
    const [outDir, compiler, evmVersion, runs, ...names] = process.argv.slice(1);
    const text = fs.readFileSync(0, "utf8");
    const output = JSON.parse(text.slice(text.indexOf("{")));
    const problems = output.errors || [];
    for (const p of problems) process.stderr.write((p.formattedMessage || p.message) + "\n");
    if (problems.some((p) => p.severity === "error")) process.exit(1);
    for (const name of names) {
        const contract = output.contracts[`contracts/${name}.sol`][name];
        const artifact = {
            abi: contract.abi,
            bytecode: "0x" + contract.evm.bytecode.object,
            compiler: `solc ${compiler}, optimizer ${runs} runs, evmVersion ${evmVersion}`,
        };
        fs.writeFileSync(`${outDir}/${name}.json`, JSON.stringify(artifact, null, 1) + "\n");
        process.stderr.write(`contracts/${name}.sol -> ${outDir}/${name}.json (${compiler})\n`);
    }
' "$OUT_DIR" "$COMPILER" "$EVM_VERSION" "$OPTIMIZER_RUNS" "${CONTRACTS[@]}"
