#!/bin/sh
# Size of what a Lambda function running FMI needs: @fmi/aws + @fmi/core (built) and their runtime
# dependencies. The nodejs20.x runtime already ships AWS SDK v3, so the function zip need not
# include @aws-sdk/* and @smithy/* (listed separately for a self-contained bundle).
# With esbuild installed, also bundles + minifies a sample handler and reports that size.
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
nm="$root/node_modules"
size() { du -sk "$@" 2>/dev/null | awk '{s+=$1} END {printf "%.1f MiB\n", s/1024}'; }
echo "FMI code (dist):              $(size "$root/providers/aws/dist" "$root/packages/core/dist")"
echo "core runtime deps:            $(size "$nm/inversify" "$nm/@inversifyjs" "$nm/reflect-metadata" "$nm/zod")"
echo "AWS SDK (in the runtime):     $(size "$nm/@aws-sdk" "$nm/@smithy" "$nm/@aws-crypto" "$nm/fast-xml-parser" "$nm/strnum" "$nm/tslib")"
if [ -x "$nm/.bin/esbuild" ]; then
  out=$(mktemp -d)
  echo "import { fmiHandler } from '@fmi/aws'; export const handler = fmiHandler(async (c) => c.allreduce(new Float64Array([1]), 'sum'));" > "$out/h.mjs"
  "$nm/.bin/esbuild" "$out/h.mjs" --bundle --minify --platform=node --format=esm --external:@aws-sdk/* --outfile="$out/h.js" >/dev/null
  echo "esbuild bundle (SDK external): $(du -k "$out/h.js" | awk '{printf "%.1f KiB\n", $1}')"
  rm -rf "$out"
else
  echo "esbuild not installed: sizes above are the unbundled dependency trees"
fi
