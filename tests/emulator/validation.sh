#!/usr/bin/env bash
# Every validation rule of the list call, at its boundaries: what each rule must reject gets
# 400 VIAS.00010001 naming the parameter (in params and in detail), and what it must accept
# gets 200. Also percent/plus decoding, invalid UTF-8, unknown parameters and the order in
# which violations are reported.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash

emu_start --tasks 30 || { fail "emulator starts"; finish; exit 1; }

py_tap <<'EOF'
import urllib.parse
from emutap import *

def rejects(desc, param, raw_query):
    r = api(query="?" + raw_query)
    good = is_service_error(r, 400, "VIAS.00010001", param)
    if good:
        b = r.json
        good = b["error_msg"] == "Invalid parameters." and param in b["detail"]
    check("%s: 400 naming %s" % (desc, param), good, r)

def accepts(desc, raw_query):
    r = api(query="?" + raw_query)
    check("%s: 200" % desc, r.status == 200 and "tasks" in r.json, r)

def enc(v):
    return urllib.parse.quote(v, safe="")

# page_size
for v, good in [("4", False), ("5", True), ("1000", True), ("1001", False), ("0", False),
                ("-5", False), ("abc", False), ("", False), ("1.5", False), ("5x", False),
                ("%205", False), ("99999999999999999999999", False), ("%2B10", True), ("+10", False), ("010", True)]:
    if good:
        accepts("page_size=%r" % v, "page_size=" + v)
    else:
        rejects("page_size=%r" % v, "page_size", "page_size=" + v)
# page
for v, good in [("0", False), ("1", True), ("-1", False), ("x", False), ("", False),
                ("2147483647", True), ("2147483648", False), ("1e3", False)]:
    if good:
        accepts("page=%r" % v, "page=" + v)
    else:
        rejects("page=%r" % v, "page", "page=" + v)

# title: 2..64 code points of [a-zA-Z0-9], U+4E00..U+9FA5, '-', '_', ','
ascii64 = ("Ab0-_," * 11)[:64]
zh64 = "人脸识别" * 16
for v, good, what in [
        ("a", False, "1 ASCII character"), ("ab", True, "2 ASCII characters"),
        (ascii64, True, "64 ASCII characters"), (ascii64 + "x", False, "65 ASCII characters"),
        ("人", False, "1 Chinese character"), ("人脸", True, "2 Chinese characters"),
        (zh64, True, "64 Chinese characters"), (zh64 + "人", False, "65 Chinese characters"),
        ("a-b_c,d", True, "'-', '_' and ','"), ("一龥", True, "U+4E00 and U+9FA5"),
        ("a\u9fa6", False, "U+9FA6"), ("a\u4dff", False, "U+4DFF"),
        ("a b", False, "a space"), ("a.b", False, "a dot"), ("a/b", False, "a slash"),
        ("a+b", False, "a plus sign"), ("aé", False, "a Latin-1 letter"),
        ("ab\U0001F600", False, "an emoji"), ("", False, "an empty value")]:
    if good:
        accepts("title with %s" % what, "title=" + enc(v))
    else:
        rejects("title with %s" % what, "title", "title=" + enc(v))
rejects("title=a+b (plus decodes to a space)", "title", "title=a+b")
rejects("title given without a value", "title", "title")

# camera_name: at most 255; task_name: at most 1024 (code points)
for param, limit in [("camera_name", 255), ("task_name", 1024)]:
    accepts("%s of %d ASCII characters" % (param, limit), param + "=" + enc("c" * limit))
    rejects("%s of %d ASCII characters" % (param, limit + 1), param, param + "=" + enc("c" * (limit + 1)))
    accepts("%s of %d Chinese characters" % (param, limit), param + "=" + enc("摄" * limit))
    rejects("%s of %d Chinese characters" % (param, limit + 1), param, param + "=" + enc("摄" * (limit + 1)))
    accepts("empty %s (no filter)" % param, param + "=")
    rejects("%s with invalid UTF-8" % param, param, param + "=ab%ff")
    rejects("%s with a NUL byte" % param, param, param + "=ab%00cd")

# sort_dir
for v in ["asc", "desc"]:
    accepts("sort_dir=" + v, "sort_dir=" + v)
for v in ["ASC", "up", "", "ascending"]:
    rejects("sort_dir=%r" % v, "sort_dir", "sort_dir=" + v)

# task_state: the 17 states and nothing else
for s in STATES:
    accepts("task_state=" + s, "task_state=" + s)
for v in ["running", "HIBERNATING", "", "RUNNING,STOPPED"]:
    rejects("task_state=%r" % v, "task_state", "task_state=" + enc(v))

# source_data_type
for v in ["async_task", "sync_task"]:
    accepts("source_data_type=" + v, "source_data_type=" + v)
for v in ["async", "", "ASYNC_TASK"]:
    rejects("source_data_type=%r" % v, "source_data_type", "source_data_type=" + v)

# batch_id: ^[a-z0-9-_]{4,36}$
for v, good in [("abcd", True), ("abc", False), ("a" * 36, True), ("a" * 37, False),
                ("ab_c-9", True), ("ABCD", False), ("ab.c", False), ("", False), ("abc d", False)]:
    if good:
        accepts("batch_id=%r" % v, "batch_id=" + enc(v))
    else:
        rejects("batch_id=%r" % v, "batch_id", "batch_id=" + enc(v))

# video_group_id: total length 4..2048
for n, good in [(3, False), (4, True), (2048, True), (2049, False)]:
    v = ",".join(["g" * 7] * 400)[:n] if n > 8 else "g" * n
    if good:
        accepts("video_group_id of %d characters" % n, "video_group_id=" + enc(v))
    else:
        rejects("video_group_id of %d characters" % n, "video_group_id", "video_group_id=" + enc(v))
rejects("empty video_group_id", "video_group_id", "video_group_id=")
accepts("video_group_id list a,b,c,d", "video_group_id=" + enc("a,b,c,d"))

# alg_id: a lower-case UUID v4
good_uuid = "0f8fad5b-d9cb-469f-a165-70867728950e"
accepts("alg_id valid", "alg_id=" + good_uuid)
for v, what in [(good_uuid.upper(), "upper case"), ("0f8fad5b-d9cb-169f-a165-70867728950e", "version 1"),
                ("0f8fad5b-d9cb-469f-c165-70867728950e", "variant c"),
                ("0f8fad5bd9cb469fa16570867728950e", "no dashes"), (good_uuid[:-1], "too short"),
                (good_uuid + "0", "too long"), ("", "empty"), ("0f8fad5b-d9cb-469f-a165-70867728950g", "a g")]:
    rejects("alg_id %s" % what, "alg_id", "alg_id=" + enc(v))

# company: any list; only UTF-8 is checked
accepts("empty company", "company=")
accepts("company list", "company=" + enc("huawei,华为云,,x"))
rejects("company with invalid UTF-8", "company", "company=%c3%28")

# Unknown parameters are ignored, even malformed ones.
accepts("unknown parameter", "foo=bar")
accepts("unknown parameter with invalid UTF-8", "foo=%ff%fe")
accepts("unknown parameter without a value", "flag")

# The first violation in documentation order is the one reported.
rejects("bad title and bad page_size", "title", "page_size=1&title=x")
rejects("bad page_size and bad alg_id", "page_size", "alg_id=x&page_size=1")
rejects("bad source_data_type before everything", "source_data_type", "alg_id=x&title=x&source_data_type=x")

# Several valid parameters together.
accepts("every parameter valid at once", "&".join([
    "source_data_type=async_task", "title=" + enc("人脸识别"), "camera_name=cam", "task_state=RUNNING",
    "task_name=face", "page_size=5", "page=2", "sort_dir=asc", "batch_id=batch-0001",
    "video_group_id=abcd,efgh", "company=huawei", "alg_id=" + good_uuid]))
EOF

finish
