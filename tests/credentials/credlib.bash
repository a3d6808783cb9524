# Shared by tests/credentials/*.sh (not a test itself). Sources the mount helpers and adds:
#   auth_stat KEY      one counter of the emulator's /_emulator/stats "auth" object
#   req_stat EP CODE   how many EP (list, detail, iam) requests got HTTP CODE
#   timed_ok DESC CMD  runs CMD, ok when it succeeds; diagnostics otherwise
# Every secret carries the mark $SECRET_MARK, so tests/secrets_scan.sh can find leaks.
. tests/mount/mountlib.bash

auth_stat() {
    ctl GET /_emulator/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["auth"].get(sys.argv[1], 0))' "$1"
}
req_stat() {
    ctl GET /_emulator/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"].get(sys.argv[1], {}).get(sys.argv[2], 0))' "$1" "$2"
}
# secret_file PATH CONTENT: writes a chmod 600 file.
secret_file() { (umask 077 && printf '%s\n' "$2" >"$1"); }
