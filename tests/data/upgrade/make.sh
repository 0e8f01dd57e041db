#!/usr/bin/env bash
# Rebuilds the data of tests/test_upgrade.py: the demo database made by the
# code before organisations and programmes (issue 18; commit 775f2f9) and the
# annual reports that code gave for it, as JSON: every programme of every
# fiscal year of the demo, as printed and as published (--publication).
#
#   tests/data/upgrade/make.sh        (from the repository, after bin/bootstrap)
#
# The old code runs from a temporary git worktree with this checkout's .venv
# (the same dependencies). The demo is deterministic except its recent
# casework, which is dated relative to the day it is made; that casework lies
# outside the demo's fiscal year, so the recorded reports do not depend on it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
old_commit=775f2f9
python=${PYTHON:-$repo/.venv/bin/python}
work=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$work/old" 2>/dev/null || true; rm -rf "$work"' EXIT
git -C "$repo" worktree add -q --detach "$work/old" "$old_commit"
cd "$work/old"
export DJANGO_SETTINGS_MODULE=config.settings.local
export DATABASE_URL="sqlite:///$work/demo.sqlite3"
"$python" manage.py migrate --noinput -v0
"$python" manage.py seed_demo >/dev/null
"$python" - "$work/demo.sqlite3" "$work/committed.sqlite3" <<'PY'
import re, sqlite3, sys
# A compact copy of the database as seed_demo left it (before any report);
# its CHECK constraints use REGEXP, as Django's SQLite backend defines it.
db = sqlite3.connect(sys.argv[1])
db.create_function("REGEXP", 2, lambda p, s: s is not None and bool(re.search(p, str(s))))
db.execute("VACUUM INTO ?", (sys.argv[2],))
PY
rm -f "$here"/*.json
"$python" manage.py shell -v 0 -c "
from reports.models import Programme
for p in Programme.objects.order_by('pk'):
    print(p.pk, p.fiscal_year)
" | while read -r programme year; do
  "$python" manage.py annual_report --fiscal-year "$year" --programme "$programme" \
    --format json >"$here/programme-$programme.json"
  "$python" manage.py annual_report --fiscal-year "$year" --programme "$programme" \
    --format json --publication >"$here/programme-$programme-publication.json"
done
xz -9e -c "$work/committed.sqlite3" >"$here/demo-$old_commit.sqlite3.xz"
ls -l "$here"
