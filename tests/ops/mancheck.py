#!/usr/bin/env python3
"""Compares viasfs --help with the man page's OPTIONS section.

Usage: mancheck.py HELP_TEXT_FILE RENDERED_MAN_FILE ROFF_SOURCE
The rendered man page must be rendered wide (MANWIDTH=200) so that no entry is wrapped.
Prints one line per check, "ok<TAB>what" or "not ok<TAB>what", then "#" lines with details
(py_tap in tests/mount/mountlib.bash turns them into TAP).

Checks: the options --help lists and the entries under OPTIONS are the same set; each
entry names the environment variables and the default that --help gives its option; every
--word anywhere in the page is a viasfs option, or one the page names on purpose (refused
secrets, other programs' options).
"""
import re
import sys

# --words the page may use that are not viasfs options, and why.
FOREIGN = {
    "--name": "the placeholder in '--name=VALUE'",
    "--token": "refused secret, named under CREDENTIALS",
    "--password": "refused secret",
    "--iam-password": "refused secret",
    "--secret-key": "refused secret",
    "--sk": "refused secret",
    "--secret-access-key": "refused secret",
    "--security-token": "refused secret",
    "--exclude-dir": "grep's option, under WATCHING",
    "--exclude": "tar's option, under WATCHING",
    "--include": "grep's option, under EXAMPLES",
    "--now": "systemctl's option, under SYSTEMD",
}

results = []


def check(ok, what, *details):
    results.append(("ok" if ok else "not ok", what, details))


def help_rows(text):
    """{option: row text} for every option row of --help ("  -x, --long=META  text...")."""
    rows, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^  (-\w)?(?:, )?(--[a-z][a-z-]*)?(?:=\S+)?\s", line + " ")
        if line.startswith("  -") and m:
            names = [n for n in (m.group(1), m.group(2)) if n]
            cur = " ".join(names)
            rows[cur] = line[28:] if len(line) > 28 else ""
        elif cur and line.startswith(" " * 28):
            rows[cur] += " " + line.strip()
        else:
            cur = None
    return rows


def man_entries(text):
    """{option: entry text} for every tagged paragraph under OPTIONS."""
    entries, cur, in_options = {}, None, False
    for line in text.splitlines():
        if re.match(r"^[A-Z]", line):
            in_options = line.strip() == "OPTIONS"
            cur = None
            continue
        if not in_options:
            continue
        m = re.match(r"^       (-\w|--[a-z][a-z-]*)(?:, (--[a-z][a-z-]*))?(=\S+)?\s*(.*)$", line)
        if m:
            names = [n for n in (m.group(1), m.group(2)) if n]
            cur = " ".join(names)
            entries[cur] = m.group(4)
        elif cur and line.startswith(" " * 14):
            entries[cur] += " " + line.strip()
        elif line.strip() and not line.startswith(" " * 14):
            cur = None
    return entries


def main():
    help_text = open(sys.argv[1], encoding="utf-8").read()
    man_text = open(sys.argv[2], encoding="utf-8").read()
    roff = open(sys.argv[3], encoding="utf-8").read()

    rows = help_rows(help_text)
    entries = man_entries(man_text)
    check(len(rows) >= 20, "--help lists the options (%d found)" % len(rows))
    missing = sorted(set(rows) - set(entries))
    extra = sorted(set(entries) - set(rows))
    check(not missing, "every option --help lists has an entry in the man page",
          *["no man entry for %s" % m for m in missing])
    check(not extra, "every option the man page documents is in --help",
          *["not in --help: %s" % e for e in extra])

    bad_env, bad_default = [], []
    for opt, row in sorted(rows.items()):
        entry = entries.get(opt)
        if entry is None:
            continue
        for var in re.findall(r"\bVIAS_[A-Z_]+", row):
            if var not in entry:
                bad_env.append("%s: --help names %s, the man entry does not" % (opt, var))
        for var in re.findall(r"\bVIAS_[A-Z_]+", entry):
            if var not in row:
                bad_env.append("%s: the man entry names %s, --help does not" % (opt, var))
        m = re.search(r"\(default ([^;)]+)", row)
        if m:
            # The longest word of --help's default, whole, in the entry's "Default: ..." sentence.
            word = max(m.group(1).split(), key=len)
            sentence = re.search(r"Default:(.*?)(?:\.\s|\.$|$)", entry)
            if not sentence or not re.search(r"(?<![\w.])" + re.escape(word) + r"(?!\w)",
                                             sentence.group(1)):
                bad_default.append("%s: --help's default %r is not in the man entry's %r"
                                   % (opt, m.group(1), sentence.group(0) if sentence else ""))
    check(not bad_env, "each man entry names the environment variables --help names", *bad_env)
    check(not bad_default, "each man entry gives the default --help gives", *bad_default)

    words = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", man_text))
    known = set()
    for opt in rows:
        known.update(n for n in opt.split() if n.startswith("--"))
    unknown = sorted(w for w in words if w not in known and w not in FOREIGN)
    check(not unknown, "every --word in the man page is a viasfs option or named on purpose",
          *["unknown: %s" % u for u in unknown])

    env_help = set(re.findall(r"\bVIAS_[A-Z_]+", help_text))
    env_man = set(re.findall(r"\bVIAS_[A-Z_]+", man_text))
    check(env_help == env_man, "the man page and --help name the same environment variables",
          "only in --help: %s" % sorted(env_help - env_man),
          "only in the man page: %s" % sorted(env_man - env_help))

    check(roff.startswith(".\\\"") and "\n.TH VIASFS 1 " in roff and "\n.SH NAME\n" in roff,
          "the source is a man(7) page with .TH and NAME")

    for status, what, details in results:
        print("%s\t%s" % (status, what))
        if status != "ok":
            for d in details:
                print("# " + d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
