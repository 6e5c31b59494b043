#!/usr/bin/env bash
# GPU checks for a machine with an NVIDIA GPU and NuGet access to TorchSharp-cuda-linux 0.107.0:
# builds the CLI against the CUDA libtorch, then fits the digits MLP and CNN on CUDA in every precision and checks
# that each reaches the accuracy band of 32-true. Prints one line per fit and exits non-zero on the first failure.
#   bash scripts/gpu-check.sh            # all precisions, 3 epochs
#   EPOCHS=1 bash scripts/gpu-check.sh   # quicker
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${EPOCHS:-3}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
dotnet build src/Cli -c Release -p:UnifiedTorchBackend=cuda -o "$out/bin" >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
unified=(dotnet "$out/bin/unified.dll")

fit() { # model precision -> last JSON line
    "${unified[@]}" fit --accelerator cuda --model "$1" --precision "$2" --epochs "$epochs" --run-dir "$out/run-$1-$2" --json | tail -1
}
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

status=0
for model in mlp cnn; do
    reference="$(fit "$model" 32-true)"
    base="$(field "$reference" val_accuracy)"
    echo "$model 32-true val_accuracy $base seconds $(field "$reference" seconds)"
    for precision in bf16-mixed 16-mixed bf16-true 16-true 64-true; do
        result="$(fit "$model" "$precision")"
        accuracy="$(field "$result" val_accuracy)"
        verdict="$(python3 -c "print('ok' if abs($accuracy - $base) <= 0.01 or '$precision'.endswith('-true') and $accuracy > $base - 0.03 else 'FAIL')")"
        echo "$model $precision val_accuracy $accuracy seconds $(field "$result" seconds) $verdict"
        [[ "$verdict" == ok ]] || status=1
    done
done
exit $status
