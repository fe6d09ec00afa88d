#!/usr/bin/env bash
# Keel against ONNX Runtime in the same run: for each model and thread count,
# round after round, `keel bench models` (median and fastest of 9 samples)
# interleaved with ../shared/anchors' ort_bench.js on torchvision's graph of
# the same family (median and fastest of 9 runs), and the two ratios. On a
# shared machine the medians move by 10-25% from round to round, in ONNX
# Runtime as much as in Keel: take the median of the rounds' ratios.
#
#   scripts/bench/ort_ratios.sh [-r ROUNDS] [-t "1 2"] [-b BATCH] resnet101 densenet121:densenet121 mobilenet:mobilenet_v1
#
# A model is KEEL_NAME or KEEL_NAME:ORT_NAME (the anchors' export name).
# Needs: ./run.sh setup in a writable copy of ../shared/anchors (ANCHORS, default
# /tmp/anchors), the ONNX files (ONNX_DIR, default /opt/anchors/onnx; the
# anchors' export_onnx.py exports more families), and keel on PATH or KEEL.
set -euo pipefail
rounds=3 threads="1 2" batch=1
while getopts "r:t:b:" o; do
  case $o in
    r) rounds=$OPTARG ;; t) threads=$OPTARG ;; b) batch=$OPTARG ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { sed -n '2,16p' "$0"; exit 2; }
KEEL=${KEEL:-keel} ANCHORS=${ANCHORS:-/tmp/anchors} ONNX_DIR=${ONNX_DIR:-/opt/anchors/onnx}
NODE_PATH=${NODE_PATH:-/opt/anchors/node/node_modules}
export NODE_PATH

keel_ms() { # model threads stat -> "ms gflops"
  "$KEEL" bench models --model "$1" --threads "$2" --batch "$batch" --samples 9 --stat "$3" --json 2>/dev/null |
    python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print("%.3f %.1f" % (d["seconds"]*1e3, d["gflops"]))'
}
ort_ms() { # model threads -> "median min"
  (cd "$ANCHORS" && node ort_bench.js "$ONNX_DIR" --models "$1" --threads "$2" --batches "$batch" --reps 9 2>/dev/null) |
    sed -n 's/^RESULT .*ms_median=\([0-9.]*\) ms_min=\([0-9.]*\).*/\1 \2/p'
}

printf "%-18s %3s %5s | %9s %9s %8s | %9s %9s | %6s %6s\n" model thr round keel_med keel_min GFLOP/s ort_med ort_min r_med r_min
for r in $(seq "$rounds"); do
  for m in "$@"; do
    k=${m%%:*} o=${m#*:}
    for t in $threads; do
      read -r km gf < <(keel_ms "$k" "$t" median)
      read -r om on < <(ort_ms "$o" "$t")
      read -r kn _ < <(keel_ms "$k" "$t" min)
      python3 -c "print('%-18s %3s %5s | %9.2f %9.2f %8.1f | %9.2f %9.2f | %6.3f %6.3f' % ('$k', '$t', '$r', $km, $kn, $gf, $om, $on, $km/$om, $kn/$on))"
    done
  done
done
