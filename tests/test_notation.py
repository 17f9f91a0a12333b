"""The notation table (docs/notation.md, repeated in lesson 1) stays in step with what the lessons write."""

import json
import re

import pytest

from helpers.checkout import ROOT

NOTATION = ROOT / "docs" / "notation.md"
MATH = re.compile(r"\$([^$]+)\$")


def table_rows(lines):
    """The notation table's rows (header and rule excluded) as lists of cells, from markdown lines."""
    rows = [line.strip() for line in lines if line.strip().startswith("| ")]
    assert rows and rows[0].startswith("| idea | slides | course | lessons |"), "no notation table found"
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[2:]]


def lesson_cells(number):
    """Lesson ``number``'s student notebook: {grade_id: markdown text} of its markdown cells."""
    [path] = (ROOT / "lessons").glob(f"0{number}_*.ipynb")
    cells = json.loads(path.read_text())["cells"]
    return {cell["metadata"]["nbgrader"]["grade_id"]: "".join(cell["source"])
            for cell in cells if cell["cell_type"] == "markdown"}


def prose(number):
    """Lesson ``number``'s markdown without the notation table itself."""
    return "\n".join(text for grade_id, text in lesson_cells(number).items() if grade_id != "notation")


DOC_ROWS = table_rows(NOTATION.read_text().splitlines())


def test_lesson_1_shows_the_documented_table():
    assert table_rows(lesson_cells(1)["notation"].splitlines()) == DOC_ROWS


@pytest.mark.parametrize("row", DOC_ROWS, ids=[row[0] for row in DOC_ROWS])
def test_each_course_symbol_is_used_by_a_lesson_it_names(row):
    idea, _, course, lessons = row
    numbers = [int(number) for number in lessons.split(",")]
    text = "\n".join(prose(number) for number in numbers)
    for symbol in MATH.findall(course):
        # A formula in the table may be written with other spacing in a lesson.
        assert symbol.replace(" ", "") in text.replace(" ", ""), \
            f"notation table, {idea!r}: ${symbol}$ appears in none of lessons {lessons}"


def test_retired_symbols_stay_out_of_every_lesson():
    [line] = [line for line in NOTATION.read_text().splitlines() if line.startswith("Retired")]
    retired = re.findall(r"`([^`]+)`", line)
    assert retired
    for number in range(1, 7):
        for symbol in retired:
            assert symbol not in prose(number), f"lesson {number} writes {symbol!r}, retired in docs/notation.md"


def test_readme_lists_each_lessons_points_as_its_notebook_sums_them():
    readme = (ROOT / "README.md").read_text()
    listed = dict(re.findall(r"^\| (0\d_\w+) \| [^|]+ \| (\d+) \|$", readme, re.MULTILINE))
    notebooks = sorted((ROOT / "lessons").glob("0*.ipynb"))
    assert sorted(listed) == [path.stem for path in notebooks]
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        points = sum(cell["metadata"]["nbgrader"].get("points", 0) for cell in cells
                     if cell["metadata"].get("nbgrader", {}).get("grade"))
        assert int(listed[path.stem]) == points, f"README lists {listed[path.stem]} points for {path.stem}"
