"""A forked grading kernel names each cell's code file with the zygote's cell_file_hash, the number
ipykernel's own pure-Python murmur2_x86 gives at a fraction of its CPU: the same file names, so a
traceback still shows the lines of the cell a function was defined in."""

import random
import re

from ipykernel.compiler import murmur2_x86

from helpers.sandbox_tiers import forking_tier, needs_posix, work  # noqa: F401  (fixtures)
from helpers.sandbox_tiers import graded_run, zygote_main_module


def test_the_zygotes_hash_is_ipykernels_for_every_text():
    cell_file_hash = zygote_main_module().cell_file_hash
    chance = random.Random(7)
    letters = "ab z\n\t#()=+-_09éß€😀"
    texts = ["", "a", "ab", "abc", "abcd", "abcde", "é", "😀"] + [
        "".join(chance.choice(letters) for _ in range(chance.randrange(3000))) for _ in range(200)]
    for seed in (0xC70F6907, 0, 0xFFFFFFFF):
        assert [cell_file_hash(text, seed) for text in texts] == [murmur2_x86(text, seed) for text in texts]


@needs_posix
def test_a_forked_kernels_traceback_shows_the_cell_that_defined_the_function(forking_tier, work):
    define = "x = 1\n\ndef deep(v):\n    y = v + 1\n    raise ValueError(f'deep {y}')  # the line\n"
    call = "import ipykernel.compiler as c\nprint(c.murmur2_x86.__name__)\n\ndeep(41)\n"
    nb = graded_run([define, call], work)
    outputs = nb.cells[1].outputs
    assert outputs[0]["text"] == "cell_file_hash\n"  # the kernel was forked by the zygote
    error = outputs[-1]
    assert error["output_type"] == "error" and error["evalue"] == "deep 42"
    shown = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error["traceback"]))  # no colours
    assert "Cell In[2], line 4\n" in shown and "----> 4 deep(41)" in shown
    assert "Cell In[1], line 5, in deep(v)\n" in shown  # the first cell's own lines, around the one that raised
    assert "      4     y = v + 1\n----> 5     raise ValueError(f'deep {y}')  # the line" in shown
