"""What ships inside the package: the example corpus, recipes and eval suites.

Found relative to this file, so an installed wheel has them as well as a source checkout
(where the top-level `examples/` links here).
"""

from __future__ import annotations

from pathlib import Path

from forge.errors import ForgeError

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
RECIPES_DIR = EXAMPLES_DIR / "recipes"
SUITES_DIR = EXAMPLES_DIR / "suites"
DEMO_RECIPE = RECIPES_DIR / "demo.toml"


def example_sources() -> list[str]:
    """The bundled example corpus: Claude Code sessions and the beads that hold their outcomes."""
    sources = [EXAMPLES_DIR / "sessions", EXAMPLES_DIR / "beads"]
    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        raise ForgeError(
            f"example corpus not found: {', '.join(missing)}",
            hint="reinstall forge; in a checkout, regenerate it with `python examples/generate_corpus.py`",
        )
    return [str(p) for p in sources]


def demo_recipe_path() -> Path:
    if not DEMO_RECIPE.is_file():
        raise ForgeError(f"demo recipe not found: {DEMO_RECIPE}", hint="reinstall forge")
    return DEMO_RECIPE
