"""The production settings, with `bench.urls`: a plain view behind the whole middleware
stack, the baseline of bench_public (`/healthz` is answered by core.health's middleware
before the rest of the stack runs, so it is no longer a plain Django view)."""

from badges_project.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
