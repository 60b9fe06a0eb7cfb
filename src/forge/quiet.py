"""One public place that quiets the ML libraries under Forge's own progress bars.

Call `quiet_ml_libraries()` before a stage that loads transformers / datasets / trl: their
own progress bars and chatter would bury ours. FORGE_VERBOSE=1 keeps them.
"""

from __future__ import annotations

import os


def quiet_ml_libraries() -> None:
    if os.environ.get("FORGE_VERBOSE"):
        return
    import warnings

    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\..*")
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(torch|transformers|trl|peft)\..*")
