# Sourced by tests/emulator/*.sh after tests/lib.sh (not a test itself: run.sh runs *.sh).
# py_tap runs the Python program on its standard input with emutap.py importable and
# EMU_URL/EMU_TOKEN/EMU_PROJECT set, and turns its "ok<TAB>desc" / "not ok<TAB>desc" lines
# into lib.sh's TAP; "#" lines pass through; a Python failure is a test failure.
# Sourcing it skips the test (exit 77, loudly) when python3 or curl is missing.
require_tool python3 curl
py_tap() {
    local line
    while IFS= read -r line; do
        case "$line" in
        "ok	"*) ok "${line#ok	}" ;;
        "not ok	"*) fail "${line#not ok	}" ;;
        "py_exit	0") ;;
        "py_exit	"*) fail "python exited with status ${line#py_exit	}" ;;
        "#"*) echo "$line" ;;
        *) echo "# $line" ;;
        esac
    done < <(EMU_URL=$EMU_URL EMU_TOKEN=$EMU_TOKEN EMU_PROJECT=$EMU_PROJECT PYTHONDONTWRITEBYTECODE=1 \
        PYTHONPATH=tests/emulator${PYTHONPATH:+:$PYTHONPATH} python3 - "$@" 2>&1
        echo "py_exit	$?")
}
