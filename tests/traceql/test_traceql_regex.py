"""TraceQL regexes run on RE2 (issue 17, defect 3): linear time, Go's dialect, anchored like Tempo,
and a pattern RE2 cannot run is a validation error, never a silent fallback to Python's ``re``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import re2

from tempo_py.traceql import TraceQLValidationError, parse, parse_and_validate
from tempo_py.traceql.enums import Op
from tempo_py.traceql.eval import values as V
from tempo_py.traceql.regex import check_regexes, compile_regex, full_match

# Python's re needs ~2^n steps for this: 26 characters took 8.5 s in the issue, 34 take minutes.
EVIL_TEXT = "a" * 34
EVIL_PATTERN = "(a+)+b"
# Generous: RE2 answers in microseconds and the child's imports take a second or two; only a
# backtracking engine gets near this.
BOUND_S = 60.0


def _run_isolated(code: str) -> str:
    """Run ``code`` in a fresh interpreter, killed after BOUND_S. A subprocess, not a thread: Python's
    re holds the GIL for the whole match, so a runaway match in a thread freezes the test process
    too (exactly the server-wide stall of the issue) and no timeout in it could fire."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=BOUND_S,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def _strings(values: list[str | None]) -> V.Value:
    return V.Value({V.STR: pa.array(values, pa.string())})


def _pattern(p: str) -> V.Value:
    return V.Value({V.STR: pa.scalar(p, pa.string())})


def _mask(op: Op, values: list[str | None], pattern: str) -> list[bool]:
    out = V.compare(op, _strings(values), _pattern(pattern), len(values)).parts[V.BOOL]
    return [bool(x) for x in out.to_pylist()]


def test_catastrophic_pattern_on_a_literal_completes() -> None:
    out = _run_isolated(
        f"""
        from tempo_py.model.otlp_to_arrow import resource_spans_to_table
        from tempo_py.testing.otlp_factory import rich_request
        from tempo_py.traceql import parse_and_validate
        from tempo_py.traceql.eval import Frame, evaluate_search
        frame = Frame(resource_spans_to_table(rich_request(n_traces=2).resource_spans))
        for pattern in ("{EVIL_PATTERN}", "(a+)+"):
            sets = evaluate_search(parse_and_validate('{{ "{EVIL_TEXT}" =~ "' + pattern + '" }}'), frame)
            print(len(set(sets.trace.tolist())))
        print(len(set(frame.trace_ids.to_pylist())))
        """
    )
    none, every, traces = out.split()
    assert (none, every) == ("0", traces)  # no trace for the non-matching pattern; all for the match


def test_catastrophic_pattern_on_columns_completes_on_both_engines() -> None:
    out = _run_isolated(
        f"""
        import pyarrow as pa, pyarrow.compute as pc
        from tempo_py.traceql.enums import Op
        from tempo_py.traceql.eval import values as V
        rows = ["{EVIL_TEXT}", "{EVIL_TEXT}b", None, "b"]
        def mask(op):
            lhs = V.Value({{V.STR: pa.array(rows, pa.string())}})
            rhs = V.Value({{V.STR: pa.scalar("{EVIL_PATTERN}")}})
            return "".join("1" if x else "0" for x in V.compare(op, lhs, rhs, 4).parts[V.BOOL].to_pylist())
        print(mask(Op.REGEX))
        def refuse(*args, **kwargs):  # the path taken when Arrow's RE2 build refuses a pattern
            raise pa.ArrowInvalid("refused for the test")
        pc.match_substring_regex = refuse
        print(mask(Op.REGEX), mask(Op.NOT_REGEX))
        """
    )
    assert out.split() == ["0100", "0100", "1001"]


@pytest.mark.parametrize("arrow", [True, False], ids=["arrow", "python"])
def test_semantics_match_tempo(arrow: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not arrow:
        monkeypatch.setattr(pc, "match_substring_regex", _raise_invalid)
    values = ["GET /checkout", "get /x", "POST /a\nb", "héllo", "Ωmega", "", None]
    assert _mask(Op.REGEX, values, "GET") == [False] * 7  # anchored at both ends, as Go =~ in Tempo
    assert _mask(Op.REGEX, values, "GET.*") == [True, False, False, False, False, False, False]
    assert _mask(Op.REGEX, values, "(?i)get.*") == [True, True, False, False, False, False, False]
    assert _mask(Op.REGEX, values, "POST.*") == [False] * 7  # `.` does not match a newline
    assert _mask(Op.REGEX, values, "(?s)POST.*") == [False, False, True, False, False, False, False]
    assert _mask(Op.REGEX, values, "h.llo") == [False, False, False, True, False, False, False]  # a rune
    assert _mask(Op.REGEX, values, r"\p{Greek}mega") == [False, False, False, False, True, False, False]
    assert _mask(Op.REGEX, values, "x*") == [False, False, False, False, False, True, False]
    # `!~`: false where the attribute is missing (as every comparison), true where it does not match
    assert _mask(Op.NOT_REGEX, values, "GET.*") == [False, True, True, True, True, True, False]


def _raise_invalid(*args: object, **kwargs: object) -> object:
    raise pa.ArrowInvalid("refused for the test")


def test_scalar_and_array_paths_agree() -> None:
    rng = np.random.default_rng(3)
    words = ["".join(rng.choice(list("ab\n.é"), size=int(n))) for n in rng.integers(0, 8, 300)]
    for pattern in ["a*b", "(a|b)+", ".*é.*", "[^a]*", "a?b?.?", "(?s).+"]:
        array = _mask(Op.REGEX, list(words), pattern)
        scalar = [full_match(pattern, w) for w in words]
        assert array == scalar, pattern


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(?=a)b", "(?="),  # lookahead
        ("a(?!b)", "(?!"),  # negative lookahead
        ("(?<=a)b", "(?<="),  # lookbehind
        (r"(a)\1", r"\1"),  # back-reference
        (r"a\Z", r"\Z"),  # Python's end anchor; RE2/Go spell it \z
        ("a{1001}", "{1001}"),  # over RE2's (and Go's) repetition limit
        ("(", "missing )"),
    ],
)
def test_patterns_re2_cannot_run_are_validation_errors(pattern: str, reason: str) -> None:
    with pytest.raises(TraceQLValidationError) as info:
        parse_and_validate(f"{{ .a =~ {_quote(pattern)} }}")
    message = str(info.value)
    assert "invalid regex" in message and reason in message and "RE2" in message, message
    with pytest.raises(TraceQLValidationError):
        parse_and_validate(f"{{ name !~ {_quote(pattern)} }}")


def _quote(pattern: str) -> str:
    return '"' + pattern.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_evaluation_without_validation_rejects_too() -> None:
    """The tag-values ``q`` path parses without validating; the evaluator must refuse the pattern
    rather than run it on another engine."""
    with pytest.raises(TraceQLValidationError):
        _mask(Op.REGEX, ["aaa"], "(?=a)a+")
    root = parse('{ .a =~ "x" && .b !~ "(a)\\\\1" }')
    with pytest.raises(TraceQLValidationError):
        check_regexes(root)
    check_regexes(parse('{ .a =~ "x" && .b !~ "y+" }'))


def test_engine_is_re2_with_no_fallback() -> None:
    compiled = compile_regex("a+")
    assert type(compiled).__module__.startswith("re2")
    # google-re2 raises for what RE2 cannot run instead of quietly using Python's re
    with pytest.raises(re2.error):
        re2.compile("(?=a)")
    assert compile_regex("a+") is compiled  # cached: one compile per literal per process
