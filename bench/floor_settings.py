"""Settings of the benchmark's floor (bench/floor.py): the app's own
(config.settings.local, as bench/run.py serves it, DEBUG off through the
environment) with a URLconf that adds the floor pages. Never used by the app:
config.urls does not know these pages (tests/test_bench_floor.py)."""

import copy

from config.settings.local import *  # noqa: F403
from config.settings.local import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.floor_urls"

TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
