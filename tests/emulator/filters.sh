#!/usr/bin/env bash
# Every list filter returns only the matching tasks, and all of them, in order: the expected
# set is computed here from a walk of the whole objects (and, for the hidden attributes, from
# the control interface), for loose (default) and exact matching, alone and combined.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash

emu_start --tasks 800 --hostile || { fail "emulator starts"; finish; exit 1; }

py_tap <<'EOF'
from emutap import *

full = details()
hid = hidden()
order = [t["id"] for t in sorted(full, key=lambda t: (int(t["created_at"]), t["id"]), reverse=True)]

def expect(desc, pred, page_size=1000, **params):
    """The filter params give exactly the tasks pred accepts, in desc order."""
    want = [i for i in order if pred(by_id[i])]
    got = [t["id"] for t in walk(page_size=page_size, **params)]
    check("%s: %d tasks" % (desc, len(want)), got == want,
          "missing: %r" % sorted(set(want) - set(got))[:5], "extra: %r" % sorted(set(got) - set(want))[:5],
          "counts: want %d got %d" % (len(want), len(got)))
    return len(want)

by_id = {t["id"]: t for t in full}
for t in full:
    t["_h"] = hid[t["id"]]

def loose(field, needle):
    return lambda t: fold(needle) in fold(t[field])

# task_state: exact, every state.
total = 0
for s in STATES:
    total += expect("task_state=" + s, lambda t, s=s: t["state"] == s, task_state=s)
eq("the 17 states cover every task but the undocumented one", len(full) - 1, total)

# camera_name, task_name, title: loose = ASCII-case-insensitive substring.
cams = sorted({t["video_source_name"] for t in full})
for v in [cams[len(cams) // 2], "cam-00", "CAM-0001", "摄像头", "cam-case", "/", "%", "..", "\t",
          "nothing-matches-this"]:
    expect("camera_name=%r (loose)" % v, loose("video_source_name", v), camera_name=v)
for v in ["face", "FACE-cam", "任务", "duplicate-name", "casename", "100%", "a/b", "\x01", "😀" * 1,
          "long-name-" + "0123456789abcdef" * 3]:
    expect("task_name=%r (loose)" % v, loose("name", v), task_name=v)
for v in ["人脸", "人脸识别", "intrusion", "PERIMETER", "casealg", "a,b", "-detection"]:
    expect("title=%r (loose)" % v, loose("title", v), title=v)
expect("camera_name with a page size of 5", loose("video_source_name", "cam-00"), page_size=5, camera_name="cam-00")

# company: any listed value, exactly.
companies = sorted({t["company"] for t in full})
expect("company=" + companies[0], lambda t: t["company"] == companies[0], company=companies[0])
pair = companies[0] + "," + companies[-1]
expect("company=" + pair, lambda t: t["company"] in (companies[0], companies[-1]), company=pair)
expect("company=HUAWEI (exact, so no match)", lambda t: t["company"] == "HUAWEI", company="HUAWEI")
expect("company with an unknown and an empty item", lambda t: t["company"] == companies[1],
       company="no-such-vendor,," + companies[1])

# alg_id: algorithm_publish_id, exactly.
algs = sorted({t["algorithm_publish_id"] for t in full})
check("several algorithms", len(algs) >= 8, algs)
for a in algs[:3]:
    expect("alg_id=" + a, lambda t, a=a: t["algorithm_publish_id"] == a, alg_id=a)
expect("alg_id of no task", lambda t: False, alg_id="00000000-0000-4000-8000-000000000000")

# Hidden attributes: source_data_type, batch_id, video_group_id.
for v in ["async_task", "sync_task"]:
    expect("source_data_type=" + v, lambda t, v=v: t["_h"]["source_data_type"] == v, source_data_type=v)
batches = sorted({t["_h"]["batch_id"] for t in full} - {""})
check("batch ids of both spellings", any("_" in b for b in batches) and any("-" in b for b in batches), batches)
for b in [batches[0], [b for b in batches if "_" in b][0]]:
    expect("batch_id=" + b, lambda t, b=b: t["_h"]["batch_id"] == b, batch_id=b)
groups = sorted({t["_h"]["video_group_id"] for t in full})
expect("video_group_id=<one>", lambda t: t["_h"]["video_group_id"] == groups[0], video_group_id=groups[0])
two = groups[1] + "," + groups[2]
expect("video_group_id=<two>", lambda t: t["_h"]["video_group_id"] in groups[1:3], video_group_id=two)

eq("video_group_id=',,,,' (valid length, no id) matches nothing", [], walk(video_group_id=",,,,"))
eq("company=',' (no vendor) matches nothing", [], walk(company=","))
eq("company='' is no filter", len(full), len(walk(company="")))

# Combinations are ANDed.
c = companies[0]
expect("task_state=RUNNING & company & camera_name",
       lambda t: t["state"] == "RUNNING" and t["company"] == c and "cam-0" in fold(t["video_source_name"]),
       task_state="RUNNING", company=c, camera_name="cam-0")
expect("source_data_type & title & sort",
       lambda t: t["_h"]["source_data_type"] == "async_task" and "人脸" in t["title"],
       source_data_type="async_task", title="人脸")
asc = [x["id"] for x in walk(page_size=7, task_state="STOPPED", sort_dir="asc")]
eq("a filter with sort_dir=asc is the reverse", [i for i in order if by_id[i]["state"] == "STOPPED"][::-1], asc)

# Percent and plus decoding reach the filter intact.
def ids(q):
    return [t["id"] for t in api(query=q).json["tasks"]]
want = [i for i in order if "name, with, commas" in by_id[i]["name"]]
eq("task_name with %20 and %2C", want, ids("?page_size=1000&task_name=name%2C%20with%2C%20commas"))
eq("task_name with + for spaces", want, ids("?page_size=1000&task_name=name,+with,+commas"))
eq("task_name with %25 decodes to %", [i for i in order if "100% done" in by_id[i]["name"]],
   ids("?page_size=1000&task_name=100%25%20done"))
EOF
emu_stop

emu_start --tasks 300 --hostile --match exact || { fail "emulator starts (exact)"; finish; exit 1; }
py_tap <<'EOF'
from emutap import *

full = details()
order = [t["id"] for t in sorted(full, key=lambda t: (int(t["created_at"]), t["id"]), reverse=True)]
by_id = {t["id"]: t for t in full}

def expect(desc, pred, **params):
    want = [i for i in order if pred(by_id[i])]
    got = [t["id"] for t in walk(**params)]
    check("%s: %d tasks" % (desc, len(want)), got == want, "want %r" % want[:5], "got %r" % got[:5])
    return len(want)

cam = full[0]["video_source_name"]
check("--match exact: a camera name matches its tasks only",
      expect("camera_name=%r" % cam, lambda t: t["video_source_name"] == cam, camera_name=cam) > 0)
eq("--match exact: a substring matches nothing", 0, expect("camera_name=cam-00", lambda t: False, camera_name="cam-00"))
eq("--match exact: case matters", 1, expect("camera_name=cam-case", lambda t: t["video_source_name"] == "cam-case",
                                             camera_name="cam-case"))
eq("--match exact: duplicate names", 2, expect("task_name=duplicate-name", lambda t: t["name"] == "duplicate-name",
                                               task_name="duplicate-name"))
for name in ["a/b/c", "..", ".", "ctrl\x01char", "cr\r\nlf", "\"quoted\" and \\backslash\\", "emoji 🎥📹",
             [t["name"] for t in full if len(t["name"]) == 1024][0]]:
    eq("--match exact: task_name=%r" % name[:40], 1, expect("task_name", lambda t, n=name: t["name"] == n, task_name=name))
eq("--match exact: composed and decomposed accents differ", 1,
   expect("camera_name decomposed", lambda t: t["video_source_name"] == "cafe\u0301 decomposed",
          camera_name="cafe\u0301 decomposed"))
expect("--match exact: title=人脸识别", lambda t: t["title"] == "人脸识别", title="人脸识别")
eq("--match exact: title=人脸 matches nothing", 0, expect("title=人脸", lambda t: False, title="人脸"))
EOF

finish
