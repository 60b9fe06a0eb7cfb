"""Training recipes: TOML shaped like Gas Town formulas, compiled to a pipeline job config.

`load_recipe(path, overrides)` reads, checks (every problem at once, keys as written) and
compiles; `forge recipe check` prints the result, `forge train` submits it as a job.
"""

from forge.recipes.loader import Recipe, load_recipe
from forge.recipes.profiles import PROFILES

__all__ = ["PROFILES", "Recipe", "load_recipe"]
