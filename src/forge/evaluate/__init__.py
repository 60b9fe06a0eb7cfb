"""Evaluate: score a model (+ adapters) on eval prompts with programmatic checkers; gate it."""
from forge.evaluate.checkers import CHECKERS, CheckResult, register_checker
import forge.evaluate.gastown  # noqa: F401,E402  (registers the Gas Town checkers)
from forge.evaluate.report import gate
from forge.evaluate.stage import EvalConfig, load_report, run_evaluate
from forge.evaluate.suite import EvalPrompt, load_suite_file

__all__ = ["CHECKERS", "CheckResult", "register_checker", "gate", "EvalConfig", "run_evaluate",
           "load_report", "EvalPrompt", "load_suite_file"]
