"""The one API every edge calls: the CLI, the MCP server, the REST API and the web UI.

    from forge.service import Forge
    forge = Forge()                          # opens FORGE_HOME: database + artifact store
    job = forge.submit_pipeline(config)      # validated, queued (QUEUED)
    forge.run_job(job.id, progress=bars)     # or forge.start_worker() to run it in the background
    forge.list_models(); forge.deploy("polecat-v3", "polecat"); forge.publish("polecat", repo=...)

Each method owns its rule (publishing only after TESTS_PASSED lives in `publish`, nowhere else)
and returns plain objects or dicts. Edges import this package, `forge.errors` and display
helpers — nothing below; the layer contract in `make lint` enforces it.

The methods are grouped by what they act on, one module each: jobs and the environment
(`service.jobs`), corpora and datasets (`service.data`), models — eval, export, infer, serve —
(`service.models`), and the model registry and the Hub (`service.registry`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from forge.models.tiny_base import DEFAULT_BASE_MODEL

if TYPE_CHECKING:  # what type checkers see; at run time the names below load on first use
    from forge.bundled import demo_recipe_path, example_sources
    from forge.config import apply_overrides
    from forge.jobs.state_machine import SETTLED, JobState
    from forge.models.chat_format import IM_END
    from forge.models.tool_calls import parse_reply
    from forge.pipeline import validate_pipeline_config
    from forge.recipes import Recipe, load_recipe
    from forge.service.data import FORMATS, dataset_stats, discover_sessions, scrub_files
    from forge.service.facade import Forge, scrub_text
    from forge.service.jobs import default_actor
    from forge.service.models import EXPORT_FORMATS, INFER_MODES, base_model_aliases
    from forge.settings import Settings, load_settings

# Resolved on first use, so `import forge.service` (and `forge --help`) stays light.
_LAZY = {
    "Forge": "forge.service.facade",
    "scrub_text": "forge.service.facade",
    "dataset_stats": "forge.service.data",
    "scrub_files": "forge.service.data",
    "FORMATS": "forge.service.data",
    "discover_sessions": "forge.service.data",
    "default_actor": "forge.service.jobs",
    "EXPORT_FORMATS": "forge.service.models",
    "base_model_aliases": "forge.service.models",
    "INFER_MODES": "forge.service.models",
    "JobState": "forge.jobs.state_machine",
    "SETTLED": "forge.jobs.state_machine",
    "validate_pipeline_config": "forge.pipeline",
    "example_sources": "forge.bundled",
    "demo_recipe_path": "forge.bundled",
    "parse_reply": "forge.models.tool_calls",
    "IM_END": "forge.models.chat_format",
    "apply_overrides": "forge.config",
    "Recipe": "forge.recipes",
    "load_recipe": "forge.recipes",
    "Settings": "forge.settings",
    "load_settings": "forge.settings",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forge.service' has no attribute {name!r}")


# spelled out (not *_LAZY) so linters and type checkers see every re-export
__all__ = [
    "DEFAULT_BASE_MODEL",
    "EXPORT_FORMATS",
    "FORMATS",
    "IM_END",
    "INFER_MODES",
    "SETTLED",
    "Forge",
    "JobState",
    "Recipe",
    "Settings",
    "apply_overrides",
    "base_model_aliases",
    "dataset_stats",
    "default_actor",
    "demo_recipe_path",
    "discover_sessions",
    "example_sources",
    "load_recipe",
    "load_settings",
    "parse_reply",
    "scrub_files",
    "scrub_text",
    "validate_pipeline_config",
]
assert set(__all__) == {"DEFAULT_BASE_MODEL", *_LAZY}
