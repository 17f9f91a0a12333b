"""A failed visible check names the misconception (or the error's structure) on its WRONG row,
shows small got/expected arrays, never does either for a correct result, and a hidden row never
prints a value; a task's rows travel as data beside the text (what check and the report read),
with one explanation per mistake."""

import numpy as np
import pytest

from backprop_course import check_rows
from backprop_course.checks import CheckFailed, task

RNG = np.random.default_rng(11)
X = RNG.normal(size=(6, 3))            # N = 6 samples, in = 3
GRAD_OUT = RNG.normal(size=(6, 2))     # out = 2
DW, DB = X.T @ GRAD_OUT, GRAD_OUT.sum(axis=0)
INPUTS = {"x": X, "grad_out": GRAD_OUT}


SHOWN = []  # the rows each task showed as data, newest last


@pytest.fixture(autouse=True)
def shown_rows(monkeypatch):
    """Keep the rows ``check_rows.show_rows`` is given, and let it print as it does outside a kernel."""
    show = check_rows.show_rows
    SHOWN.clear()

    def keep(task, passed, rows, lines):
        SHOWN.append(rows)
        show(task, passed, rows, lines)

    monkeypatch.setattr(check_rows, "show_rows", keep)


def run(label, body, capsys, **options):
    """The text a task running body(check) printed, and whether it failed."""
    failed = False
    try:
        with task(label, **options) as check:
            body(check)
    except CheckFailed:
        failed = True
    return capsys.readouterr().out, failed


def rows(out):
    """The rows the last task showed, as data (its text is for the student only)."""
    assert all(check_rows.format_data_row(row) in out for row in SHOWN[-1])
    return SHOWN[-1]


def test_db_as_the_mean_is_named_on_its_wrong_row_with_got_and_expected(capsys):
    out, failed = run("Lesson 2, task 2", lambda check: check.close(
        "dL/db", GRAD_OUT.mean(axis=0), DB, bar=1e-12, inputs=INPUTS), capsys)
    assert failed
    line = out.splitlines()[1]
    assert line.startswith("  WRONG  dL/db ") and "rel error 7.1e-01" in line
    assert line.endswith(" — misconception db-mean: dL/db equals the mean of grad_out over the batch: "
                         "the bias is used by every sample, so its gradient is the sum")
    assert out.splitlines()[2].strip() == (f"got {check_rows.show(GRAD_OUT.mean(axis=0))}, "
                                           f"expected {check_rows.show(DB)}")
    [row] = rows(out)
    assert (row.ok, row.name, row.kind, row.key) == (False, "dL/db", "misconception", "db-mean")
    assert row.detail == "rel error 7.1e-01  (bar 1e-12)"


def test_dw_divided_by_n_is_named_with_inputs_and_diagnosed_as_1_over_n_without(capsys):
    def body(check):
        check.close("dL/dW", DW / 6, DW, bar=1e-12, inputs=INPUTS)
        check.close("dL/dW after a second call", DW / 6, DW, bar=1e-12)
        check.close("dL/dW after a second call", 2 * DW, DW, bar=1e-12, inputs={**INPUTS, "calls": 2})

    out, _ = run("Lesson 2, task 2", body, capsys)
    named, factor, accumulated = rows(out)
    assert (named.kind, named.key) == ("misconception", "dW-divided-by-N")
    # one explanation per mistake: beside a name, a pattern on another row of the task says nothing
    assert not factor.ok and factor.kind == ""
    assert accumulated.key == "grads-accumulated"
    assert out.count("\n         got [[") == 3  # 6 numbers each: shown, on one line
    out, _ = run("Lesson 2, task 2", lambda check: check.close("dL/dW", DW.T, DW, bar=1e-12, inputs=INPUTS), capsys)
    [transposed] = rows(out)
    assert transposed.key == "dW-transposed" and transposed.detail == "has shape (2, 3), expected (3, 2)"
    out, _ = run("Lesson 2, task 2", lambda check: check.close("dL/dW", DW / 6, DW, bar=1e-12), capsys)
    [alone] = rows(out)
    assert (alone.kind, alone.key) == ("diagnosis", "factor")
    assert alone.message == "dL/dW is exactly 1/6 of the expected"


def test_a_chain_names_the_misconception_of_its_first_wrong_stage(capsys):
    out, _ = run("Lesson 2, task 2", lambda check: check.chain(
        [("dL/dout (given)", GRAD_OUT, GRAD_OUT), ("dL/dW", DW, DW, "dL/dout and the cached x"),
         ("dL/db", GRAD_OUT.mean(axis=0), DB, "dL/dout")], bar=1e-10, name="gradients 6x3",
        inputs=INPUTS), capsys)
    [row] = rows(out)
    assert row.name == "gradients 6x3" and row.key == "db-mean"
    assert row.detail.startswith("dL/db is wrong (rel error 7.1e-01); dL/dout, which flowed into it, is right")


def test_correct_results_get_no_message(capsys):
    def body(check):
        check.close("dL/dW", np.einsum("ni,no->io", X, GRAD_OUT), DW, bar=1e-12, inputs=INPUTS)
        check.close("dL/db", GRAD_OUT.sum(axis=0, keepdims=True)[0], DB, bar=1e-12, inputs=INPUTS)
        check.chain([("dL/dW", DW.copy(), DW), ("dL/db", DB.copy(), DB)], bar=1e-10, inputs=INPUTS)

    out, failed = run("Lesson 2, task 2", body, capsys)
    assert not failed
    assert all(row.ok and not row.kind for row in rows(out)) and len(rows(out)) == 3
    assert check_rows.SEPARATOR not in out and "got " not in out


def numbers_in(*arrays):
    """Every entry of the arrays as it could be printed."""
    return {text for array in arrays for value in np.ravel(array)
            for text in (f"{value:.6g}", f"{value:.4g}", f"{value:.3f}", repr(float(value)))}


@pytest.mark.parametrize("how", ["task(hidden=True)", "hidden=True", "hidden: name"])
def test_hidden_rows_print_no_input_no_expected_and_no_result(how, capsys):
    label = "Lesson 2, task 2"
    name = "hidden: dL/db, (6, 2)" if how == "hidden: name" else "dL/db"
    flag = {"hidden": True} if how == "hidden=True" else {}
    hidden_task = {"hidden": True} if how == "task(hidden=True)" else {}
    small = GRAD_OUT[:3].T  # a factor is a pattern over several (3) entries

    def body(check):
        check.close(name, GRAD_OUT.mean(axis=0), DB, bar=1e-12, inputs=INPUTS, **flag)
        check.close(name, small.sum(axis=0) * 0.5, small.sum(axis=0), bar=1e-12, **flag)
        check.chain([("dL/db", GRAD_OUT.mean(axis=0), DB)], bar=1e-10, name=name, inputs=INPUTS, **flag)

    out, failed = run(label, body, capsys, **hidden_task)
    assert failed
    found = rows(out)
    assert [row.key for row in found] == ["db-mean", "", "db-mean"]  # no pattern beside the name
    assert "got " not in out
    leaked = [text for text in numbers_in(X, GRAD_OUT, DB, GRAD_OUT.mean(axis=0), small.sum(axis=0) * 0.5)
              if text in out]
    assert leaked == []


def test_large_arrays_show_no_values_and_odd_results_never_break_a_check(capsys):
    class Hostile:
        def __array__(self, *args, **kwargs):
            raise TypeError("no numbers here")

    def body(check):
        check.close("dL/dx", np.zeros((6, 3)), X, bar=1e-12)
        check.close("dL/db", Hostile(), DB, bar=1e-12, inputs=INPUTS)
        check.close("dL/db", None, DB, bar=1e-12)

    out, failed = run("Lesson 2, task 3", body, capsys)
    assert failed
    zeros, hostile, missing = rows(out)
    assert zeros.key == "zeros" and "got " not in out
    assert not hostile.ok and not hostile.kind
    assert missing.detail == "is missing (still None)"


def test_quantity_of_finds_the_catalogued_quantity_a_name_starts_with():
    assert check_rows.quantity_of("Lesson 2, task 2", "dL/dW after a second call") == "dL/dW"
    assert check_rows.quantity_of("Lesson 2, task 2 (graded)", "dL/db (batch of 1)") == "dL/db"
    assert check_rows.quantity_of("Lesson 4, task 2", "hidden: dL/dscores, (6,) float64") == "dL/dscores"
    assert check_rows.quantity_of("Lesson 2, task 1", "out 2x3 -> 2x2") == "out"
    assert check_rows.quantity_of("Lesson 1, task 2", "dL/dw10") == "dL/dw10"  # dL/dw1 is no prefix of it
    assert check_rows.quantity_of("Lesson 2, task 1", "x unchanged") == "x unchanged"


def test_a_label_s_wording_hides_nothing(capsys):
    """Only ``hidden=True`` hides values: a label ending "(graded)" is a label like any other."""
    small = GRAD_OUT[:2].sum(axis=0)
    out, _ = run("Lesson 2, task 2 (graded)", lambda check: check.close("dL/db", small * 0.5, small, bar=1e-12),
                 capsys)
    assert "got " in out
    out, _ = run("Lesson 2, task 2", lambda check: check.close("dL/db", small * 0.5, small, bar=1e-12), capsys,
                 hidden=True)
    assert "got " not in out


def test_rows_round_trip_as_data_and_a_forged_body_reads_as_nothing():
    row = check_rows.row_of(False, "forward pass, layer by layer", "layer 2 raised ValueError: matmul")
    output = {"output_type": "display_data",
              "data": {check_rows.ROWS_MIME: check_rows.rows_data("Lesson 5, task 1", False, [row]), "text/plain": ""}}
    assert check_rows.rows_of(output) == [("Lesson 5, task 1", False, [row])]
    for body in (["passed"], {"task": "x", "passed": True, "rows": [{"ok": True}]}, {"rows": 3}, None):
        assert check_rows.rows_of({"output_type": "display_data", "data": {check_rows.ROWS_MIME: body}}) == []
    assert check_rows.rows_of({"output_type": "stream", "name": "stdout", "text": check_rows.format_data_row(row)}) == []


def test_a_name_must_reproduce_every_input_of_the_check():
    """One check on several inputs (a judge's cases): named only when the wrong formula gives the
    result on each of them; a result that one mistake explains here and another there gets no name."""
    from backprop_course.checks import Checks

    scores = [RNG.normal(size=(3, 1)), RNG.normal(size=(5, 1))]
    targets = [RNG.normal(size=3), RNG.normal(size=5)]
    right = [float(np.mean((s.ravel() - y) ** 2)) for s, y in zip(scores, targets)]
    broadcast = [float(np.mean((s - y) ** 2)) for s, y in zip(scores, targets)]   # (N, N) for (N, 1) scores
    summed = [float(np.sum((s.ravel() - y) ** 2)) for s, y in zip(scores, targets)]

    def settled(results):
        check = Checks("Lesson 4, task 1", hidden=True, write=None)
        for i, (got, s, y) in enumerate(zip(results, scores, targets)):
            check.close(f"loss, case {i}", got, right[i], bar=1e-10, quantity="loss", inputs={"scores": s, "y": y})
        check.settle()
        return [row.key for row in check.rows]

    assert settled(broadcast) == ["mse-broadcast", "mse-broadcast"]
    assert settled(summed) == ["mse-summed", "mse-summed"]
    assert settled([summed[0], broadcast[1]]) == ["", ""]

