#!/usr/bin/env bash
# `rasa data validate` must report no errors AND no warnings.
set -uo pipefail
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
cd "$(dirname "$0")/.."
mkdir -p var
out=var/validate.log
.venv/bin/python -m rasa data validate --config config.yml --domain domain --data nlu_data \
    --fail-on-warnings >"$out" 2>&1
status=$?
warnings=$(grep -cE "UserWarning|WARNING|ERROR" "$out")
if [ "$status" -ne 0 ] || [ "$warnings" -ne 0 ]; then
    grep -E "UserWarning|WARNING|ERROR|Error" -A2 "$out" | head -60
    echo "rasa data validate: failed ($warnings warnings/errors, exit $status); full output in $out"
    exit 1
fi
echo "rasa data validate: no errors, no warnings"
