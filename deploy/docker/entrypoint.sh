#!/bin/sh
# Start one USM process. With arguments, run them instead (e.g. `usm migrate`, `usm seed`).
# USM_SERVICE (baked in from the image's SERVICE build argument, overridable at run time) picks
# the app factory.
set -eu

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

case "${USM_SERVICE:-}" in
    gateway) factory="usm_gateway.main:create_app" ;;
    indicators | reports | appraisals | network) factory="usm_${USM_SERVICE}.main:create_app" ;;
    *)
        echo "USM_SERVICE must be one of indicators, reports, appraisals, network, gateway" \
            "(got '${USM_SERVICE:-}')" >&2
        exit 64
        ;;
esac

exec uvicorn --factory "$factory" --host 0.0.0.0 --port "${USM_PORT:-8000}"
