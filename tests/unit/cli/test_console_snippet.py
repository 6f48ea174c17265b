"""console --code: the snippet's outcome is the exit code, and a failure prints the snippet's traceback only."""

from trade_executor.cli.console import banner, run_snippet


def test_the_exit_code_is_the_snippets(capsys):
    assert run_snippet("x = 2 + 2", {}) == 0
    assert run_snippet("import sys; sys.exit(3)", {}) == 3
    assert run_snippet("import sys; sys.exit()", {}) == 0
    assert run_snippet("import sys; sys.exit('stopped: no price')", {}) == 1
    assert capsys.readouterr().err == "stopped: no price\n"


def test_an_exception_prints_the_traceback_of_the_snippet_and_exits_1(capsys):
    assert run_snippet("def f():\n    return state.missing\nf()", {"state": object()}) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n  File \"<console --code>\", line 3")
    assert 'File "<console --code>", line 2, in f' in err and err.endswith("AttributeError: 'object' object has no attribute 'missing'\n")
    assert "console.py" not in err


def test_the_banner_lists_names_and_types_not_reprs():
    import datetime
    from decimal import Decimal

    text = banner({"state": object(), "datetime": datetime, "Decimal": Decimal}, "s.json.lock")
    assert text.splitlines()[1:4] == ["state     : builtins.object", "datetime  : module datetime", "Decimal   : class decimal.Decimal"]
    assert "s.json.lock" in text
