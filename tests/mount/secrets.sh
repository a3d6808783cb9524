#!/usr/bin/env bash
# Secrets inside task data are shown as "***" (PRODUCT.md §2, issue 3 §2): the VCN password,
# the header values of RESTful inputs and of webhooks, and members named like password,
# secret or token, wherever they are. Each secret value is searched for in the whole mount
# (grep -r, so no file shows it); --show-secrets shows them. Also the exact bytes of one
# redacted input.json.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

cat >"$TEST_TMP/data.json" <<'EOF'
{"tasks": [
 {"id": "secret000000000000000000000000001", "name": "vcn task", "state": "RUNNING",
  "input": {"type": "vcn", "data": [{"device_id": "d1", "stream_type": 1}],
            "vcn": {"ip": "10.0.0.1", "port": 9900, "username": "u", "password": "SECRET1-vcn-password"}}},
 {"id": "secret000000000000000000000000002", "name": "restful task", "state": "STOPPED",
  "input": {"type": "restful", "data": [{"url": "https://streams.example.com/s/1",
            "headers": {"Authorization": "Bearer SECRET2-restful-authorization", "X-Custom": "SECRET3-restful-custom-header"}}]},
  "output": {"webhook": {"url": "https://hooks.example.com/h", "headers": {"X-Hook-Key": "SECRET4-webhook-header"}},
             "obs": {"bucket": "b", "path": "p/", "secret_key": "SECRET5-obs-secret-key"}},
  "config": {"common": {"threshold": 0.5},
             "auth": {"api_token": "SECRET6-api-token", "refresh_token": "SECRET7-refresh-token",
                      "password": {"value": "SECRET8-password-object"}},
             "Token": "SECRET9-Token"}}
]}
EOF
emu_start --data "$TEST_TMP/data.json" || { fail "emulator starts with the data file"; finish; exit; }
mnt_start secrets --refresh=0 || { fail "viasfs mounts"; finish; exit; }
check_eq "both tasks are there" "secret000000000000000000000000001 secret000000000000000000000000002" \
    "$(ls "$MNT/tasks" | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "the API does hold the secrets (the emulator returns them)" 9 \
    "$(for i in 1 2; do api "/v2/$EMU_PROJECT/tasks/secret00000000000000000000000000$i"; done | grep -o 'SECRET[0-9]' | sort -u | wc -l)"
hidden() { # hidden SECRET WHERE
    local hits
    hits=$(grep -rl --exclude-dir=.viasfs -F "$1" "$MNT" 2>/dev/null | sed "s|^$MNT/||" | tr '\n' ' ')
    check_eq "$1 ($2) appears in no file of the mount" "" "$hits"
}
hidden SECRET1 "input.vcn.password"
hidden SECRET2 "input.data[].headers.Authorization"
hidden SECRET3 "input.data[].headers.X-Custom"
hidden SECRET4 "output.webhook.headers.X-Hook-Key"
hidden SECRET5 "output.obs.secret_key"
hidden SECRET6 "config.auth.api_token: a member named like token"
hidden SECRET7 "config.auth.refresh_token: a member named like token"
hidden SECRET8 "config.auth.password: an object value under a member named password"
hidden SECRET9 "config.Token"
check_eq "input.json of the VCN task, byte for byte" \
    $'{\n\t"type":\t"vcn",\n\t"data":\t[{\n\t\t\t"device_id":\t"d1",\n\t\t\t"stream_type":\t1\n\t\t}],\n\t"vcn":\t{\n\t\t"ip":\t"10.0.0.1",\n\t\t"port":\t9900,\n\t\t"username":\t"u",\n\t\t"password":\t"***"\n\t}\n}' \
    "$(cat "$MNT/tasks/secret000000000000000000000000001/input.json")"
check_eq "output.json of the RESTful task, byte for byte (masked values keep key and place)" \
    $'{\n\t"webhook":\t{\n\t\t"url":\t"https://hooks.example.com/h",\n\t\t"headers":\t{\n\t\t\t"X-Hook-Key":\t"***"\n\t\t}\n\t},\n\t"obs":\t{\n\t\t"bucket":\t"b",\n\t\t"path":\t"p/",\n\t\t"secret_key":\t"***"\n\t}\n}' \
    "$(cat "$MNT/tasks/secret000000000000000000000000002/output.json")"
mnt_stop "$MNT"

mnt_start shown --refresh=0 --show-secrets || { fail "viasfs mounts with --show-secrets"; finish; exit; }
check_eq "--show-secrets: all 9 secrets are shown" 9 \
    "$(cat "$MNT"/tasks/*/task.json | grep -o 'SECRET[0-9]' | sort -u | wc -l)"
mnt_stop "$MNT"
finish
