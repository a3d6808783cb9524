#!/usr/bin/env bash
# Paging and the shape of list answers: every task appears exactly once over all pages for
# page sizes 5, 7 and 1000, in created_at order (ties by id) both ways; count in page and total
# mode; pages past the end; the summary and full list-fields modes with their exact keys.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash

# --hostile adds tasks with identical created_at values, so the tie rule is exercised.
emu_start --tasks 1200 --hostile || { fail "emulator starts"; finish; exit 1; }

py_tap <<'EOF'
from emutap import *

n = ctl("GET", "/health").json["tasks"]
check("the data set has tasks", n > 1200, n)
full = details()
eq("one detail per task", n, len(full))
order = sorted(full, key=lambda t: (int(t["created_at"]), t["id"]))
check("some created_at values tie", len({t["created_at"] for t in full}) < n)

for size in (5, 7, 1000):
    for sort in ("desc", "asc"):
        items = walk(page_size=size, sort_dir=sort)
        ids = [t["id"] for t in items]
        eq("page_size=%d %s: every task once" % (size, sort), n, len(set(ids)))
        eq("page_size=%d %s: no repeats" % (size, sort), len(ids), len(set(ids)))
        want = [t["id"] for t in (order if sort == "asc" else order[::-1])]
        check("page_size=%d %s: created_at order, ties by id" % (size, sort), ids == want)

r = api(query="").json
eq("defaults: page 1, page_size 10", (1, 10, 10), (r["page"], r["page_size"], len(r["tasks"])))
check("default order is desc", [t["id"] for t in r["tasks"]] == [t["id"] for t in order[::-1][:10]])
eq("count is the number of items on a full page", 10, r["count"])
last = (n - 1) // 7 + 1
r = api(query=qs(page=last, page_size=7)).json
eq("count on the short last page", (n - (last - 1) * 7, n - (last - 1) * 7), (r["count"], len(r["tasks"])))
r = api(query=qs(page=last + 1, page_size=7))
eq("a page past the end", {"count": 0, "tasks": [], "page": last + 1, "page_size": 7}, r.json)
r = api(query=qs(page=2147483647, page_size=1000))
eq("the last possible page", {"count": 0, "tasks": [], "page": 2147483647, "page_size": 1000}, r.json)
eq("list body keys in order", ["count", "tasks", "page", "page_size"], list(api().json))

# Summary mode: exactly the 9 fields in order, consistent with the detail.
by_id = {t["id"]: t for t in full}
items = walk(page_size=1000)
check("summary items have exactly the 9 fields, in order",
      all(list(t) == SUMMARY_KEYS for t in items), [list(t) for t in items if list(t) != SUMMARY_KEYS][:1])
mapped = {"cloud": "0", "edge": "1"}
bad = [t["id"] for t in items
       if any(t[k] != by_id[t["id"]][k] for k in SUMMARY_KEYS if k != "type")
       or t["type"] != mapped.get(by_id[t["id"]]["type"], by_id[t["id"]]["type"])]
eq("summary values equal the detail's (type cloud/edge as 0/1)", [], bad)
eq("summary types are 0 or 1", {"0", "1"}, {t["type"] for t in items})
check("details have exactly the 28 fields, in order", all(list(t) == DETAIL_KEYS for t in full))
eq("detail types are cloud or edge", {"cloud", "edge"}, {t["type"] for t in full})
EOF
emu_stop

emu_start --tasks 300 --count total --list-fields full || { fail "emulator starts (total, full)"; finish; exit 1; }
py_tap <<'EOF'
from emutap import *

n = ctl("GET", "/health").json["tasks"]
for page in (1, 2, 31, 99):
    r = api(query=qs(page=page, page_size=10)).json
    eq("--count total: count is the total on page %d" % page, n, r["count"])
running = len(walk(task_state="RUNNING"))
r = api(query=qs(task_state="RUNNING", page_size=5)).json
eq("--count total with a filter: count is the filtered total", running, r["count"])
r = api(query=qs(task_state="RUNNING", page=1000, page_size=5)).json
eq("--count total past the end", (running, []), (r["count"], r["tasks"]))
items = walk(page_size=100)
check("--list-fields full: every item has the 28 fields in order", all(list(t) == DETAIL_KEYS for t in items))
bad = [t["id"] for t in items if api("/tasks/" + t["id"]).json != t]
eq("--list-fields full: items equal their detail", [], bad)
EOF

finish
