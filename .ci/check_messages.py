"""Check that each committed .mo file holds exactly what its .po file says,
so that nobody forgets `manage.py compilemessages`. Uses msgfmt when present."""

import gettext
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
if not shutil.which("msgfmt"):
    print("msgfmt not installed; skipping the catalogue check")
    sys.exit(0)
status = 0
for po in sorted(root.glob("locale/*/LC_MESSAGES/*.po")):
    mo = po.with_suffix(".mo")
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.mo"
        subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(po)], check=True)
        with fresh.open("rb") as f:
            want = gettext.GNUTranslations(f)._catalog
    if not mo.exists():
        print(f"{mo.relative_to(root)} is missing: run manage.py compilemessages")
        status = 1
        continue
    with mo.open("rb") as f:
        have = gettext.GNUTranslations(f)._catalog
    if have != want:
        print(f"{mo.relative_to(root)} is stale: run manage.py compilemessages")
        status = 1
    else:
        print(f"{mo.relative_to(root)}: {len(have)} messages, up to date")
sys.exit(status)
