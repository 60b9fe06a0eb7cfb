"""The Go test reader of benchmarks/scrub_trufflehog.py, on a made-up test file in TruffleHog's
layout (the real files are read from a checkout when the benchmark runs; none ships here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "scrub_trufflehog.py"

GO_TEST = """package acme

var (
	validPattern   = "k7Qz2xW9mR4tY8pL3vN6bC1d"
	invalidPattern = "k7Qz2xW9?R4tY8pL3vN6bC1d"
	keyword        = "acme"
	config         = `api:
  acme_key: "` + validPattern + `"`
)

func TestAcme_Pattern(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{
			name:  "valid pattern - with keyword",
			input: fmt.Sprintf("%s token = '%s'", keyword, validPattern),
			want:  []string{validPattern},
		},
		{
			name:  "valid pattern - config",
			input: config,
			want:  []string{"acme:" + validPattern},
		},
		{
			name:  "invalid pattern",
			input: fmt.Sprintf("%s = '%s'", keyword, invalidPattern),
			want:  []string{},
		},
		{
			name:  "built elsewhere",
			input: makeInput(validPattern),
			want:  []string{validPattern},
		},
	}
}
"""


def _module():
    spec = importlib.util.spec_from_file_location("scrub_trufflehog", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scrub_trufflehog", module)
    spec.loader.exec_module(module)
    return module


def test_reader_evaluates_sprintf_raw_strings_and_concatenation():
    th = _module()
    cases, skipped = th.test_cases(GO_TEST, "acme")
    assert [c["input"] for c in cases] == [
        "acme token = 'k7Qz2xW9mR4tY8pL3vN6bC1d'",
        'api:\n  acme_key: "k7Qz2xW9mR4tY8pL3vN6bC1d"',
    ]
    assert skipped == 1  # makeInput(...) is not evaluated; the empty want is no positive
    assert [th.secrets_of(c) for c in cases] == [["k7Qz2xW9mR4tY8pL3vN6bC1d"]] * 2


def test_scoring_counts_a_secret_left_half_way():
    th = _module()
    case = {
        "detector": "acme",
        "input": "acme token = 'k7Qz2xW9mR4tY8pL3vN6bC1d'",
        "want": ["k7Qz2xW9mR4tY8pL3vN6bC1d"],
    }
    assert th.caught(case, "acme token = '<SECRET:secret>'")
    assert not th.caught(case, "acme token = 'k7Qz2xW9mR4t<SECRET:secret>'")
