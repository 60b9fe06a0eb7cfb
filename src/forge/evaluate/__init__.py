"""Evaluate: score a model (+ adapters) on eval prompts with programmatic checkers; gate it."""

import forge.evaluate.gastown  # noqa: F401  (registers the Gas Town checkers)
from forge.evaluate.checkers import CHECKERS, CheckResult, register_checker
from forge.evaluate.report import gate
from forge.evaluate.stage import EvalConfig, load_report, run_evaluate
from forge.evaluate.suite import EvalPrompt, load_suite_file

__all__ = [
    "CHECKERS",
    "CheckResult",
    "EvalConfig",
    "EvalPrompt",
    "gate",
    "load_report",
    "load_suite_file",
    "register_checker",
    "run_evaluate",
]
